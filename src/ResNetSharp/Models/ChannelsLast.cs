using ResNetSharp.Models;
using ResNetSharp.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetSharp.Models;

/// <summary>
/// NHWC ("channels-last") strides for images and convolution weights, which oneDNN runs much faster on
/// CPUs. TorchSharp has no <c>to(memory_format)</c>, so tensors are permuted to NHWC, made contiguous
/// and permuted back: the shape stays [N, C, H, W], the memory order becomes NHWC. Because libtorch's
/// channels-last kernels have been seen to give wrong results for some shapes, a network is switched
/// only after <see cref="TryApply"/> has compared it with the plain layout (bottleneck networks included).
/// </summary>
public static class ChannelsLast
{
    /// <summary>The same values with NHWC memory order (a new tensor; the caller owns it).</summary>
    public static Tensor Of(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Gives every convolution weight of <paramref name="model"/> NHWC memory order (before creating the optimiser).</summary>
    public static void Apply(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var conv in model.modules().OfType<Conv2d>())
        {
            var w = conv.weight!;
            // detach: a 1x1 kernel is already "contiguous" in NHWC, so Of returns a view of w made under no_grad, which
            // autograd rejects once an optimiser updates it in place ("A view was created in no_grad mode ...").
            conv.weight = new Parameter(Of(w).detach(), w.requires_grad);
            w.Dispose();
        }
    }

    /// <summary>Returns every convolution weight to the plain contiguous layout.</summary>
    public static void Revert(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var conv in model.modules().OfType<Conv2d>())
        {
            var w = conv.weight!;
            conv.weight = new Parameter(w.contiguous(), w.requires_grad);
            w.Dispose();
        }
    }

    /// <summary>
    /// Switches <paramref name="model"/> to channels-last when its outputs, input gradient and every weight gradient on a
    /// random batch at <paramref name="inputSize"/> agree with the plain layout within <paramref name="tolerance"/>
    /// (‖fast − plain‖ / ‖plain‖ per tensor); otherwise leaves it plain. A norm, not the largest element: where a ReLU's
    /// input is within rounding of zero the two layouts may take different sides of it, which moves single elements
    /// upstream by up to 1e-3 of the largest and the norm by about 3e-4; a wrong kernel moves a whole tensor. Returns
    /// whether it switched and the largest error seen, NaN when the check is not run because it stopped an earlier process (see <see cref="CrashMarkers"/>).
    /// The check runs in eval mode: running statistics make it well conditioned (a freshly initialised ResNet-50 in
    /// training mode moves its gradients by 10-30% between fp32 and float64 in either layout), and convolutions run
    /// the same kernels in both modes.
    /// </summary>
    public static (bool Switched, double Error) TryApply(ResNet model, int inputSize, Device device, double tolerance = 1e-2, string? markerFolder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        // oneDNN's channels-last 1x1 code once ended a process with SIGFPE, which no comparison can catch: a marker names
        // the check while it runs, so a process that dies in it leaves the marker behind and later ones stay plain.
        var folder = markerFolder ?? CrashMarkers;
        var key = Key(model, inputSize, device);
        if (EarlierCrash(folder, key) is not null) return (false, double.NaN);
        var marker = Mark(MarkerPath(folder, key, Environment.ProcessId.ToString()), key);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            var x = randn(2, 3, inputSize, inputSize, device: device, generator: new Generator(1234, device));
            var plain = ForwardBackward(model, x);
            Apply(model);
            var fast = ForwardBackward(model, Of(x));
            static double Error(Tensor a, Tensor b) => ((a - b).norm() / a.norm().clamp_min(1e-12)).item<float>();
            var error = plain.Select((reference, i) => Error(reference, fast[i])).Max();
            var ok = error <= tolerance; // NaN fails
            if (!ok) Revert(model);
            model.zero_grad();
            return (ok, error);
        }
        finally
        {
            model.train(wasTraining);
            // a marker left by a failed delete is ignored while this process runs, and later names a crash that was not one
            if (marker is not null) AtomicFile.TryDelete(marker);
        }
    }

    /// <summary>The folder of markers of channels-last checks in progress (in the user cache folder).</summary>
    public static string CrashMarkers => Path.Combine(CachePaths.Root, "channels-last-checks");

    /// <summary>
    /// The marker a process left when it died checking <paramref name="key"/> (its id no longer runs), or null. The
    /// check is then not run again on this CPU and libtorch; deleting the file tries again.
    /// </summary>
    static string? EarlierCrash(string folder, string key)
    {
        if (!Directory.Exists(folder)) return null;
        var prefix = Hash(key) + ".";
        foreach (var file in Directory.EnumerateFiles(folder, Path.GetFileName(MarkerPath(folder, key, "*"))))
        {
            var pid = Path.GetFileName(file)[prefix.Length..^".running".Length];
            if (int.TryParse(pid, out var id) && id != Environment.ProcessId && !AtomicFile.IsRunning(id)) return file;
        }
        return null;
    }

    /// <summary>Why <see cref="TryApply"/> returned NaN, for the user: the marker's path and how to try again.</summary>
    public static string CrashNote(ResNet model, int inputSize, Device device, string? markerFolder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        var file = EarlierCrash(markerFolder ?? CrashMarkers, Key(model, inputSize, device));
        return file is null
            ? "channels-last was not checked"
            : $"an earlier channels-last check of {model.Spec.Name} at {inputSize} px stopped its process on this CPU ({file}; delete it to check again)";
    }

    /// <summary>The marker of a check of <paramref name="model"/> by process <paramref name="pid"/> in <paramref name="folder"/>.</summary>
    internal static string MarkerFile(string folder, ResNet model, int inputSize, Device device, int pid) =>
        MarkerPath(folder, Key(model, inputSize, device), pid.ToString());

    static string MarkerPath(string folder, string key, string pid) => Path.Combine(folder, $"{Hash(key)}.{pid}.running");

    static string Key(ResNet model, int inputSize, Device device) =>
        $"{CpuFeatures.Current.Model} | libtorch {__version__} | {model.Spec.Name} {model.Spec.Block} {inputSize}px {device.type}";

    static string? Mark(string file, string key)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, $"{key}{Environment.NewLine}started {DateTime.UtcNow:O}{Environment.NewLine}");
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // an unwritable cache only loses the crash guard
        }
    }

    static string Hash(string key) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];

    static Tensor[] ForwardBackward(ResNet model, Tensor x)
    {
        model.zero_grad();
        var input = x.detach().requires_grad_(true);
        var output = model.call(input);
        output.sum().backward();
        return [output.detach(), input.grad!.clone(), .. model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.clone())];
    }
}
