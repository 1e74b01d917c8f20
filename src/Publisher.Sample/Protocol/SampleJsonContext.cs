using System.Text.Json.Serialization;

namespace Publisher.Sample.Protocol;

/// <summary>Source-generated JSON for every message the sample reads or writes: no reflection; camelCase like the browser side.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EditMessage))]
[JsonSerializable(typeof(StateMessage))]
[JsonSerializable(typeof(ErrorMessage))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
