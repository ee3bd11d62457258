using ResNetSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetSharp.Models;

/// <summary>
/// A network of the paper built from a <see cref="NetworkSpec"/>: stem, residual (or plain) stages,
/// global average pool and a fully-connected classifier. Parameter names follow torchvision
/// (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, <c>layer2.0.downsample.0</c>, <c>fc</c>) so that
/// state dicts move between this and torchvision/TorchSharp without renaming.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> conv1;
    readonly Module<Tensor, Tensor>? bn1, maxpool, norm;
    readonly Module<Tensor, Tensor>[] layers;
    readonly Module<Tensor, Tensor> avgpool;
    Module<Tensor, Tensor> fc;

    /// <summary>The description this network was built from.</summary>
    public NetworkSpec Spec { get; private set; }

    /// <summary>
    /// What convolutions and the classifier compute in (<see cref="Models.Precision.Fp32"/> or <see cref="Models.Precision.Bf16"/>;
    /// resolve <see cref="Models.Precision.Auto"/> first). Parameters stay fp32 either way; features and logits come out fp32.
    /// </summary>
    public Precision Precision
    {
        get => precision;
        set
        {
            MixedPrecision.ScalarTypeOf(value); // refuses Auto
            precision = value;
        }
    }

    Precision precision;

    /// <summary>Builds the network with He initialisation (section 3.4); see <see cref="ModelZoo.Create(string, int?)"/> for names.</summary>
    public ResNet(NetworkSpec spec) : base(TorchRuntime.Loaded(spec.Name))
    {
        Spec = spec.Validate();
        if (spec.Stem == StemKind.ImageNet)
        {
            conv1 = Conv2d(3, spec.StemWidth, kernel_size: 7, stride: 2, padding: 3, bias: false);
            maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        }
        else
        {
            conv1 = Units.Conv3x3(3, spec.StemWidth, 1);
        }
        // Pre-activation nets normalise at the start of every unit; only the ImageNet stem keeps its BN-ReLU before the pool.
        if (!spec.PreActivation || spec.Stem == StemKind.ImageNet) bn1 = BatchNorm2d(spec.StemWidth);

        register_module("conv1", conv1);
        if (bn1 is not null) register_module("bn1", bn1);
        if (maxpool is not null) register_module("maxpool", maxpool);

        // one Sequential per stage, named layer1..; its units 0.. (NetworkSpec.Units decides their shapes and shortcuts)
        layers = [.. spec.Units().GroupBy(u => u.Stage).Select(stage => Sequential(stage.Select(u => ($"{u.Index}", Units.Create(spec, u)))))];
        for (var s = 0; s < layers.Length; s++) register_module($"layer{s + 1}", layers[s]);
        var channels = spec.FeatureSize;
        if (spec.PreActivation)
        {
            norm = BatchNorm2d(channels);
            register_module("norm", norm);
        }
        avgpool = AdaptiveAvgPool2d([1, 1]);
        fc = Linear(channels, spec.Classes);
        register_module("avgpool", avgpool);
        register_module("fc", fc);
        InitialiseWeights();
    }

    void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight!, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight!);
                    init.zeros_(bn.bias!);
                    break;
            }
        }
        if (Spec.ZeroInitLast)
        {
            foreach (var unit in modules().OfType<IResidualUnit>()) init.zeros_(unit.LastWeight);
        }
    }

    /// <summary>Everything up to the pooled feature vector [N, FeatureSize] (for transfer learning).</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = MixedPrecision.Conv(conv1, MixedPrecision.In(x, precision));
        if (bn1 is not null) y = bn1.call(y).relu_();
        if (maxpool is not null) y = maxpool.call(y);
        foreach (var layer in layers) y = layer.call(y);
        // Fig. 4(d) units end at the addition; one ReLU before pooling, as (e) ends with its final BN + ReLU
        if (Spec.Activation == ActivationPlacement.ReluOnlyPreActivation) y = y.relu();
        if (norm is not null) y = norm.call(y).relu_();
        return MixedPrecision.Out(avgpool.call(y).flatten(1)).MoveToOuterDisposeScope();
    }

    /// <summary>The classifier: pooled features [N, FeatureSize] to logits [N, Classes].</summary>
    public Tensor ForwardHead(Tensor features)
    {
        if (precision == Precision.Fp32) return fc.call(features);
        using var scope = NewDisposeScope();
        return MixedPrecision.Out(MixedPrecision.Linear(fc, MixedPrecision.In(features, precision))).MoveToOuterDisposeScope();
    }

    /// <summary>Logits for a batch of images [N, 3, H, W].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return ForwardHead(ForwardFeatures(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="classes"/> outputs (fine-tuning).</summary>
    public void ResetClassifier(int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Classes must be at least 1.");
        var device = ((Linear)fc).weight!.device;
        var dtype = ((Linear)fc).weight!.dtype;
        fc.Dispose();
        fc = Linear(Spec.FeatureSize, classes).to(device, dtype);
        _internal_submodules.Remove("fc"); // register_module refuses a name that is already registered
        register_module("fc", fc);
        Spec = Spec with { Classes = classes };
    }

    /// <summary>Number of parameters (weights, biases, BN scales and shifts; not BN running statistics).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
}
