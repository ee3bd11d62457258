using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResNetSharp.Interop;

/// <summary>The JSON form of a <see cref="Models.NetworkSpec"/> stored in exported files.</summary>
internal static class SpecJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };
}
