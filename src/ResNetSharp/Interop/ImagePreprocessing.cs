using ResNetSharp.Data;
using ResNetSharp.Models;

namespace ResNetSharp.Interop;

/// <summary>
/// What an image must go through before the network sees it, recorded in an exported model's metadata so
/// that a consumer can reproduce it: RGB channels scaled to [0, 1], minus <see cref="Mean"/>, divided by <see cref="Std"/>.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Per-channel mean (R, G, B) of inputs scaled to [0, 1].</summary>
    public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation (R, G, B); all ones when only the mean is subtracted.</summary>
    public required IReadOnlyList<float> Std { get; init; }

    /// <summary>Side length the network expects (the image is resized/cropped to it).</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Free text about resizing and cropping, e.g. "resize 256, center crop 224".</summary>
    public string? Resize { get; init; }

    /// <summary>The same preprocessing as our loaders apply it (bytes scaled by 1/255, then per-channel mean and std).</summary>
    public Normalization ToNormalization() => Normalization.PerChannel(Mean, Std);

    /// <summary>ImageNet's per-channel mean and standard deviation as used by torchvision.</summary>
    public static ImagePreprocessing ImageNet { get; } = new()
    {
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
        InputSize = 224,
        Resize = "resize shorter side to 256, center crop 224",
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
