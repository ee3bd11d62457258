using System.Reflection;
using System.Text.Json.Serialization;

namespace ResNetSharp.Runtime;

/// <summary>
/// Enums whose members carry their written name (<see cref="JsonStringEnumMemberNameAttribute"/>, e.g. "imagenet-rrc"):
/// the same name in JSON files, on the command line and in messages.
/// </summary>
public static class NamedEnum
{
    /// <summary>The written name of <paramref name="value"/> (its attribute's, else its C# name).</summary>
    public static string Name<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();

    /// <summary>Every written name, in declaration order.</summary>
    public static IReadOnlyList<string> Names<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(Name)];

    /// <summary>The member written <paramref name="text"/>; anything else fails naming <paramref name="what"/> and the valid names.</summary>
    public static T Parse<T>(string text, string what) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
            if (Name(value) == text) return value;
        var names = Names<T>();
        throw new ArgumentException($"Unknown {what} '{text}'. Use {string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}.");
    }
}
