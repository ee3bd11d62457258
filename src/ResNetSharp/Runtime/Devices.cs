using TorchSharp;

namespace ResNetSharp.Runtime;

/// <summary>Turns a device name from a user into a torch device, with errors that say what is available.</summary>
public static class Devices
{
    /// <summary>Parses "cpu", "cuda", "cuda:N" or "auto" (CUDA when available, else CPU).</summary>
    public static torch.Device Parse(string? name)
    {
        TorchRuntime.EnsureLoaded();
        var text = string.IsNullOrWhiteSpace(name) ? "cpu" : name.Trim().ToLowerInvariant();
        if (text == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (text == "cpu") return torch.CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"Device '{name}' was asked for but CUDA is not available: this build references TorchSharp-cpu. " +
                                            "Reference a CUDA build of TorchSharp, or use --device cpu.");
            return new torch.Device(text);
        }
        throw new ArgumentException($"Unknown device '{name}'. Use cpu, cuda, cuda:N or auto.");
    }
}
