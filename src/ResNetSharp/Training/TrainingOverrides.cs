using System.Linq.Expressions;
using System.Reflection;

namespace ResNetSharp.Training;

/// <summary>
/// Fields of a <see cref="TrainingConfig"/> set one by one, as command-line flags set them: a partial configuration whose
/// field names the compiler checks (<c>overrides.Set(c =&gt; c.Model, "resnet56")</c>). A field not set here overrides nothing.
/// </summary>
public sealed class TrainingOverrides
{
    readonly Dictionary<string, (PropertyInfo Field, object? Value)> fields = [];

    /// <summary>Sets <paramref name="field"/> to <paramref name="value"/> (a later value of the same field replaces an earlier one).</summary>
    public TrainingOverrides Set<T>(Expression<Func<TrainingConfig, T>> field, T value)
    {
        ArgumentNullException.ThrowIfNull(field);
        var property = field.Body is MemberExpression { Member: PropertyInfo p } member && member.Expression == field.Parameters[0] && p.CanWrite
            ? p
            : throw new ArgumentException($"'{field}' is not a settable field of TrainingConfig; write it as c => c.Field.", nameof(field));
        fields[property.Name] = (property, value);
        return this;
    }

    /// <summary>True when the field named <paramref name="name"/> (<c>nameof(TrainingConfig.Iterations)</c>) is set.</summary>
    public bool Sets(string name) => fields.ContainsKey(name);

    /// <summary>The names of the fields set.</summary>
    public IReadOnlyCollection<string> Names => fields.Keys;

    /// <summary><paramref name="config"/> with the fields set here replaced.</summary>
    public TrainingConfig ApplyTo(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (fields.Count == 0) return config;
        var copy = config with { };
        foreach (var (property, value) in fields.Values) property.SetValue(copy, value);
        return copy;
    }
}
