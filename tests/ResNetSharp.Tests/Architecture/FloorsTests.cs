using System.Reflection;
using System.Reflection.Emit;
using ResNetSharp.Models;

namespace ResNetSharp.Tests.Architecture;

/// <summary>
/// The library's namespaces are floors that import one way (docs/ARCHITECTURE.md): a type may use types of its own
/// floor and of the floors below it, never of a floor above. Read from the compiled assembly, signatures and method
/// bodies (IL) alike, so a fully qualified name or a <c>var</c> is seen as well as a <c>using</c> line.
/// </summary>
public sealed class FloorsTests
{
    /// <summary>The floors from the bottom up, as docs/ARCHITECTURE.md lists them.</summary>
    public static readonly string[] Floors =
        ["Runtime", "Models", "Distributed", "Data", "Analysis", "Evaluation", "Reporting", "Inference", "Interop", "Training", "Reproduce", "Pretrained", "Benchmarks"];

    static readonly Assembly Library = typeof(ResNet).Assembly;

    [Fact]
    public void Should_Import_Only_Its_Own_Floor_And_The_Floors_Below()
    {
        // Given every type of the library on its floor
        var types = Library.GetTypes().Where(t => FloorOf(t) is not null).ToArray();

        // When each type's references to other floors are read
        var upward = types
            .SelectMany(t => References(t).Where(r => FloorOf(r) is { } to && Index(to) > Index(FloorOf(t)!)).Select(r => $"{Name(t)} -> {Name(r)}"))
            .Distinct().Order(StringComparer.Ordinal).ToList();

        // Then none reaches a floor above its own
        Assert.True(upward.Count == 0, $"{upward.Count} references go up a floor:\n" + string.Join("\n", upward.Take(40)));
    }

    [Fact]
    public void Should_Put_Every_Namespace_Of_The_Library_On_A_Floor()
    {
        var namespaces = Library.GetTypes().Select(t => t.Namespace).Where(n => n?.StartsWith("ResNetSharp.", StringComparison.Ordinal) == true).Distinct();

        Assert.All(namespaces, n => Assert.Contains(n!["ResNetSharp.".Length..].Split('.')[0], Floors));
    }

    [Fact]
    public void Should_See_References_Made_Only_Inside_Method_Bodies()
    {
        // Given ModelFile, whose signatures never name OnnxImport or WeightFiles but whose Open calls both
        var references = References(typeof(ResNetSharp.Training.ModelFile)).Select(Name).ToHashSet();

        // Then the reading of method bodies finds them (a check that sees only signatures would pass anything)
        Assert.Contains("ResNetSharp.Interop.OnnxImport", references);
        Assert.Contains("ResNetSharp.Interop.WeightFiles", references);
    }

    static int Index(string floor) => Array.IndexOf(Floors, floor);

    /// <summary>The floor of a library type (nested types are on their outer type's); null for other assemblies' types.</summary>
    static string? FloorOf(Type type)
    {
        if (type.Assembly != Library || type.Namespace is not { } ns || !ns.StartsWith("ResNetSharp.", StringComparison.Ordinal)) return null;
        return ns["ResNetSharp.".Length..].Split('.')[0];
    }

    static string Name(Type t) => (t.FullName ?? t.Name).Split('+')[0].Split('`')[0];

    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every type <paramref name="type"/> names: base, interfaces, members' signatures and what its method bodies touch.</summary>
    static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t)) return;
            if (t.HasElementType) Add(t.GetElementType());
            if (t.IsGenericType && !t.IsGenericTypeDefinition) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in BodyReferences(m)) Add(t);
        }
        return found;
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The types that the IL of <paramref name="method"/> names through its type, method, field and token operands.</summary>
    static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var code = il[i] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[i + 1])] : OpCodesByValue[il[i]];
            i += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    if (member is Type t) yield return t;
                    else if (member?.DeclaringType is { } owner) yield return owner;
                    if (member is MethodInfo called) yield return called.ReturnType;
                    if (member is FieldInfo field) yield return field.FieldType;
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                default:
                    i += code.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
    }
}
