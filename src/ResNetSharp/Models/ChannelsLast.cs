using ResNetSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetSharp.Models;

/// <summary>
/// NHWC ("channels-last") strides for images and convolution weights, which oneDNN runs much faster on
/// CPUs. TorchSharp has no <c>to(memory_format)</c>, so tensors are permuted to NHWC, made contiguous
/// and permuted back: the shape stays [N, C, H, W], the memory order becomes NHWC. Because libtorch's
/// channels-last kernels have been seen to give wrong results for some shapes, a network is switched
/// only after <see cref="TryApply"/> has compared it with the plain layout.
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
    /// Switches <paramref name="model"/> to channels-last when its outputs and input gradients on a random
    /// batch at <paramref name="inputSize"/> agree with the plain layout within <paramref name="tolerance"/>
    /// (relative to the largest value); otherwise leaves it plain. Returns whether it switched and the error seen
    /// (NaN when the network is not tried: bottleneck networks stay plain).
    /// </summary>
    public static (bool Switched, double Error) TryApply(ResNet model, int inputSize, Device device, double tolerance = 1e-3)
    {
        // oneDNN's channels-last 1x1 kernels gave wrong gradients for ResNet-50 here and crashed (SIGFPE) on an AVX-512
        // machine: a crash cannot be caught by the comparison below, so bottleneck networks are never switched.
        if (model.Spec.Block == BlockKind.Bottleneck) return (false, double.NaN);
        var wasTraining = model.training;
        model.eval(); // running statistics: the check must not move them
        try
        {
            using var scope = NewDisposeScope();
            var x = randn(2, 3, inputSize, inputSize, device: device, generator: new Generator(1234, device));
            var (plainOut, plainGrad) = ForwardBackward(model, x);
            Apply(model);
            var (fastOut, fastGrad) = ForwardBackward(model, Of(x));
            double Error(Tensor a, Tensor b) => ((a - b).abs().max() / a.abs().max().clamp_min(1e-12)).item<float>();
            var error = Math.Max(Error(plainOut, fastOut), Error(plainGrad, fastGrad));
            if (error > tolerance || double.IsNaN(error)) Revert(model);
            model.zero_grad();
            return (error <= tolerance, error);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    static (Tensor Output, Tensor InputGrad) ForwardBackward(ResNet model, Tensor x)
    {
        var input = x.detach().requires_grad_(true);
        var output = model.call(input);
        output.sum().backward();
        return (output.detach(), input.grad!.clone());
    }
}
