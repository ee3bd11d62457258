using System.Globalization;
using ResNetSharp.Models;

namespace ResNetSharp.Data;

/// <summary>
/// Everything an image goes through before a network sees it: resize the shorter side to
/// <see cref="ResizeShorterSide"/>, centre-crop <see cref="InputSize"/>, reorder channels to <see cref="ChannelOrder"/>,
/// scale pixels to [0, <see cref="PixelRange"/>], subtract <see cref="Mean"/> (per channel, or a per-pixel mean image),
/// divide by <see cref="Std"/>. Means and standard deviations are in input units and in the network's channel order.
/// Recorded in exported models' metadata, read back by the ONNX importer, or recognised from a separate
/// preprocessing graph.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>3 channel means, or 3·<see cref="MeanHeight"/>·<see cref="MeanWidth"/> per-pixel means (CHW).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Per-channel standard deviation; all ones when only the mean is subtracted.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>Height of a per-pixel mean image; 0 for per-channel means.</summary>
    public int MeanHeight { get; init; }

    /// <summary>Width of a per-pixel mean image; 0 for per-channel means.</summary>
    public int MeanWidth { get; init; }

    /// <summary>RGB (torchvision) or BGR (Caffe, CNTK).</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Pixels are scaled to [0, PixelRange] before the mean is subtracted: 1 (torchvision) or 255 (raw byte values).</summary>
    public float PixelRange { get; init; } = 1f;

    /// <summary>Side of the centre crop the network sees.</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Shorter side the image is resized to before the crop (torchvision's <c>Resize</c>); null resizes it to <see cref="InputSize"/>.</summary>
    public int? ResizeShorterSide { get; init; }

    /// <summary>The shorter side actually used: <see cref="ResizeShorterSide"/>, else <see cref="InputSize"/>.</summary>
    public int EffectiveResize => ResizeShorterSide ?? InputSize;

    /// <summary>The same preprocessing as our loaders apply it.</summary>
    public Normalization ToNormalization()
    {
        Validate();
        return new Normalization
        {
            Scale = PixelRange / 255f,
            Mean = [.. Mean],
            Std = [.. Std],
            MeanHeight = MeanHeight,
            MeanWidth = MeanWidth,
            ChannelOrder = ChannelOrder,
        };
    }

    /// <summary>The view of a photo: shorter side resized to <see cref="EffectiveResize"/>, centre crop <see cref="InputSize"/>.</summary>
    public CenterCrop View() => new(InputSize, EffectiveResize);

    /// <summary>
    /// The preprocessing of a trained network: its normalisation at <paramref name="inputSize"/>, the image resized to
    /// <paramref name="testResize"/> when the training recorded one, else as <see cref="TestView.ShorterSide"/> says.
    /// </summary>
    public static ImagePreprocessing OfTrained(Normalization normalization, int inputSize, int? testResize) =>
        From(normalization, inputSize, testResize ?? TestView.ShorterSide(inputSize));

    /// <summary>Describes a normalisation saved with a checkpoint, with the view its evaluation takes of a photo.</summary>
    public static ImagePreprocessing From(Normalization normalization, int inputSize, int? resizeShorterSide) => new()
    {
        Mean = [.. normalization.Mean],
        Std = [.. normalization.Std],
        MeanHeight = normalization.MeanHeight,
        MeanWidth = normalization.MeanWidth,
        ChannelOrder = normalization.ChannelOrder,
        PixelRange = normalization.Scale * 255f,
        InputSize = inputSize,
        ResizeShorterSide = resizeShorterSide,
    };

    /// <summary>Checks that the values can describe a preprocessing; throws <see cref="ArgumentException"/> saying which one cannot.</summary>
    public ImagePreprocessing Validate()
    {
        if (Std.Count != 3 || Std.Any(s => !(s > 0))) throw new ArgumentException($"Preprocessing needs 3 positive standard deviations; got [{string.Join(", ", Std)}].");
        var perPixel = MeanHeight > 0 || MeanWidth > 0;
        if (perPixel ? Mean.Count != 3 * MeanHeight * MeanWidth : Mean.Count != 3)
            throw new ArgumentException(perPixel
                ? $"A {MeanWidth}x{MeanHeight} mean image needs {3 * MeanHeight * MeanWidth} values; got {Mean.Count}."
                : $"Per-channel preprocessing needs 3 means; got {Mean.Count}.");
        if (perPixel && (MeanHeight != InputSize || MeanWidth != InputSize))
            throw new ArgumentException($"The mean image is {MeanWidth}x{MeanHeight} but the network's input is {InputSize}x{InputSize}; they must agree.");
        if (!(PixelRange > 0)) throw new ArgumentException($"The pixel range must be positive (1 or 255); got {PixelRange}.");
        if (InputSize < 1 || ResizeShorterSide is < 1) throw new ArgumentException("The input size and the resized side must be positive.");
        if (ResizeShorterSide < InputSize) throw new ArgumentException($"Resizing the shorter side to {ResizeShorterSide} leaves no room for a {InputSize} crop.");
        return this;
    }

    /// <summary>One line a person can check, e.g. "resize shorter side to 256, centre crop 224, RGB, pixels in [0, 1], minus mean [0.485, 0.456, 0.406], divided by std [0.229, 0.224, 0.225]".</summary>
    public override string ToString()
    {
        static string F(float v) => v.ToString("0.####", CultureInfo.InvariantCulture);
        static string L(IEnumerable<float> v) => "[" + string.Join(", ", v.Select(F)) + "]";
        var plane = MeanHeight * MeanWidth;
        var mean = MeanHeight > 0 && Mean.Count == 3 * plane
            ? $"minus a {MeanWidth}x{MeanHeight} mean image (channel averages {L(Enumerable.Range(0, 3).Select(c => Mean.Skip(c * plane).Take(plane).Average()))})"
            : $"minus mean {L(Mean)}";
        var std = Std.All(s => s == 1f) ? "no division" : $"divided by std {L(Std)}";
        return $"resize shorter side to {EffectiveResize}, centre crop {InputSize}, {ChannelOrder.ToString().ToUpperInvariant()}, " +
               $"pixels in [0, {F(PixelRange)}], {mean}, {std}";
    }

    /// <summary>ImageNet's per-channel mean and standard deviation as used by torchvision: Resize(256), CenterCrop(224).</summary>
    public static ImagePreprocessing ImageNet { get; } = new()
    {
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
        InputSize = 224,
        ResizeShorterSide = 256,
    };

    /// <summary>CIFAR-10: the per-channel training-set mean (the paper subtracts the per-pixel mean, section 4.2) and std.</summary>
    public static ImagePreprocessing Cifar10 { get; } = new()
    {
        Mean = [0.4914f, 0.4822f, 0.4465f],
        Std = [0.2470f, 0.2435f, 0.2616f],
        InputSize = 32,
    };

    /// <summary>The convention of a stem when nothing is recorded: torchvision's ImageNet preprocessing for the ImageNet stem, CIFAR-10's otherwise.</summary>
    public static ImagePreprocessing ConventionFor(StemKind stem) => stem == StemKind.ImageNet ? ImageNet : Cifar10;
}
