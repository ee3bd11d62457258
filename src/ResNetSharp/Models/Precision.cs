using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

/// <summary>
/// The number format convolutions and the classifier compute in. Weights, BN parameters and statistics, momentum,
/// the loss and checkpoints stay fp32 in every case (mixed precision); only the products are bf16.
/// </summary>
public enum Precision
{
    /// <summary>Everything in fp32.</summary>
    Fp32,

    /// <summary>Convolutions, activations and the classifier in bfloat16; fp32 master weights, BN statistics and loss.</summary>
    Bf16,

    /// <summary>bf16 where the CPU has it natively, a measured probe finds it faster and a correctness check passes; else fp32.</summary>
    Auto,
}

/// <summary>
/// Mixed-precision forward without autocast (TorchSharp has none): the dtype travels with the activations. A network
/// in bf16 casts its input once; each convolution and the classifier then take a bf16 copy of their fp32 weight. The
/// cast is differentiable, so the gradient reaches the fp32 master weight as fp32 and the optimiser never sees bf16.
/// BN takes the bf16 activation with fp32 parameters and running statistics (libtorch's mixed-type CPU kernel).
/// </summary>
static class MixedPrecision
{
    /// <summary>The tensor type of a resolved precision.</summary>
    public static ScalarType ScalarTypeOf(Precision precision) => precision switch
    {
        Precision.Fp32 => ScalarType.Float32,
        Precision.Bf16 => ScalarType.BFloat16,
        _ => throw new ArgumentException("Resolve 'auto' to fp32 or bf16 before running a network (PrecisionPolicy.Resolve)."),
    };

    /// <summary>A network's input in its compute type (no copy when it already is; fp32 inputs of other dtypes, e.g. fp64 tests, stay).</summary>
    public static Tensor In(Tensor x, Precision precision) =>
        precision == Precision.Bf16 && x.dtype == ScalarType.Float32 ? x.to(ScalarType.BFloat16) : x;

    /// <summary>Features or logits back in fp32 for losses, softmax and callers reading floats.</summary>
    public static Tensor Out(Tensor y) => y.dtype == ScalarType.BFloat16 ? y.to(ScalarType.Float32) : y;

    /// <summary>A convolution in the dtype of its input; the plain module call when the weight already has it.</summary>
    public static Tensor Conv(Module<Tensor, Tensor> module, Tensor x)
    {
        var conv = (Conv2d)module;
        var weight = conv.weight!;
        if (x.dtype == weight.dtype) return module.call(x);
        return functional.conv2d(x, weight.to(x.dtype), conv.bias?.to(x.dtype), conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>A fully-connected layer in the dtype of its input.</summary>
    public static Tensor Linear(Module<Tensor, Tensor> module, Tensor x)
    {
        var linear = (TorchSharp.Modules.Linear)module;
        var weight = linear.weight!;
        if (x.dtype == weight.dtype) return module.call(x);
        return functional.linear(x, weight.to(x.dtype), linear.bias?.to(x.dtype));
    }
}
