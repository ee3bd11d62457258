using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResNetSharp.Runtime;

/// <summary>
/// The one JSON form of everything a run leaves on disk (checkpoint metadata, config.json, metrics.jsonl,
/// reproduce-result.json, rates, probe caches, the network description in exported models): camelCase names, enums
/// by name, NaN and infinities as named literals. Reading ignores the case of names, so files written before in
/// PascalCase with numeric enums still load.
/// </summary>
public static class ArtefactJson
{
    /// <summary>One line a value (JSON lines, metadata entries).</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The same, indented, for files people read (config.json, reproduce-result.json).</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
