using ResNetSharp.Data;
using ResNetSharp.Evaluation;
using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetSharp.Inference;

/// <summary>One class and its probability.</summary>
public sealed record ClassScore(string Class, int Label, double Probability);

/// <summary>The top classes for one image, or why it could not be read.</summary>
public sealed record Prediction(string Source, IReadOnlyList<ClassScore> Top, string? Error = null);

/// <summary>The pooled feature vector of one image, or why it could not be read.</summary>
public sealed record ImageFeatures(string Source, float[] Features, string? Error = null);

/// <summary>
/// Classifies real images with a trained network: load once, classify many. Photos of any size and mode
/// (grayscale, CMYK, palette, alpha) become RGB and go through <see cref="Preprocessing"/>: resized (shorter side),
/// centre-cropped (or 10-cropped), channels ordered, scaled and normalised as the network was trained. A network
/// without a trained classifier (an imported feature extractor) gives <see cref="Features"/> only.
/// Unreadable files give a <see cref="Prediction"/> with an error, not an exception.
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    readonly ResNet model;
    readonly Device device;
    IInferenceEngine? onnx;
    bool? channelsLast;

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Everything an image goes through before the network (resize, crop, channel order, scale, mean, std).</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>The normalisation applied to inputs.</summary>
    public Normalization Normalization { get; }

    /// <summary>Side of the network input.</summary>
    public int InputSize => Preprocessing.InputSize;

    /// <summary>What the network computes in and why (fp32 until <see cref="UsePrecision"/> says otherwise).</summary>
    public PrecisionChoice ComputePrecision { get; private set; } = new(Precision.Fp32, "the default");

    /// <summary>False for a feature extractor whose classifier holds no trained weights: <see cref="Classify"/> then refuses.</summary>
    public bool HasTrainedClassifier { get; }

    /// <summary>Wraps a network with its class names and preprocessing.</summary>
    public ImageClassifier(ResNet model, IReadOnlyList<string> classNames, ImagePreprocessing preprocessing, Device? device = null, bool hasTrainedClassifier = true)
    {
        this.model = model;
        this.device = device ?? CPU;
        ClassNames = classNames;
        Preprocessing = preprocessing.Validate();
        Normalization = preprocessing.ToNormalization();
        HasTrainedClassifier = hasTrainedClassifier;
        model.eval();
    }

    /// <summary>Wraps a network with its class names, normalisation and input size (shorter side resized as <see cref="TestView.ShorterSide"/> says).</summary>
    public ImageClassifier(ResNet model, IReadOnlyList<string> classNames, Normalization normalization, int inputSize, Device? device = null)
        : this(model, classNames, ImagePreprocessing.OfTrained(normalization, inputSize, testResize: null), device)
    {
    }

    /// <summary>
    /// Computes in <paramref name="requested"/> precision from now on: bf16 (fp32 weights, bf16 products), fp32, or auto
    /// (bf16 only where this CPU has it natively and an inference probe at <paramref name="batchSize"/> finds it faster
    /// and correct, see <see cref="PrecisionPolicy"/>). Fp32 on a CPU runs through <paramref name="fp32Engine"/> when one is
    /// given (<c>ModelFile.CreateClassifier</c> gives ONNX Runtime on the exported graph). Returns what was chosen and why.
    /// </summary>
    public PrecisionChoice UsePrecision(Precision requested, int batchSize = 32, Func<ResNet, IInferenceEngine>? fp32Engine = null)
    {
        // libtorch (bf16) runs fastest channels-last where that is verified for this network; ONNX Runtime (fp32) ignores the layout
        var channelsLast = requested != Precision.Fp32 && (this.channelsLast ??= ChannelsLast.TryApply(model, InputSize, device).Switched);
        var choice = PrecisionPolicy.For(requested, model.Spec, training: false, batchSize, InputSize, channelsLast, device, fp32Engine: fp32Engine);
        model.Precision = choice.Precision;
        onnx?.Dispose();
        onnx = null;
        if (choice.Precision == Precision.Fp32 && device.type == DeviceType.CPU && fp32Engine is not null)
        {
            onnx = fp32Engine(model);
            choice = choice with { Reason = choice.Reason + "; run by ONNX Runtime on the exported graph" };
        }
        ComputePrecision = choice;
        return choice;
    }

    /// <summary>Whether fp32 inference goes through ONNX Runtime (after <see cref="UsePrecision"/> chose fp32 on a CPU).</summary>
    public bool UsesOnnxRuntime => onnx is not null;

    /// <summary>The view of a photo the network sees: shorter side resized, centre crop (or 10 crops).</summary>
    public IImageTransform View(bool tenCrop)
    {
        var resize = Preprocessing.EffectiveResize;
        return tenCrop ? new TenCrop(InputSize, resize) : new CenterCrop(InputSize, resize);
    }

    /// <summary>The pooled features [FeatureSize] of each image file (folders expanded), <paramref name="batchSize"/> at a time; unreadable files carry an error.</summary>
    public IReadOnlyList<ImageFeatures> FeaturesOfFiles(IEnumerable<string> paths, int batchSize = 32)
    {
        return OverFiles(paths, batchSize, Features, (file, features) => new ImageFeatures(file, features), (file, error) => new ImageFeatures(file, [], error));
    }

    /// <summary>
    /// Decodes <paramref name="paths"/> (folders expanded) <paramref name="batchSize"/> at a time and runs
    /// <paramref name="compute"/> on each batch's readable images; an unreadable file gets <paramref name="failed"/> with the reason.
    /// </summary>
    TResult[] OverFiles<TValue, TResult>(IEnumerable<string> paths, int batchSize, Func<RgbImage[], IReadOnlyList<TValue>> compute,
                                         Func<string, TValue, TResult> ok, Func<string, string?, TResult> failed)
    {
        var files = paths.SelectMany(Expand).ToArray();
        var results = new TResult[files.Length];
        for (var start = 0; start < files.Length; start += batchSize)
        {
            var chunk = Enumerable.Range(start, Math.Min(batchSize, files.Length - start)).ToArray();
            var decoded = Decode(files, chunk);
            var good = Enumerable.Range(0, chunk.Length).Where(i => decoded[i].Error is null).ToArray();
            foreach (var i in Enumerable.Range(0, chunk.Length).Except(good)) results[chunk[i]] = failed(files[chunk[i]], decoded[i].Error);
            if (good.Length == 0) continue;
            var values = compute(good.Select(i => decoded[i].Image).ToArray());
            for (var j = 0; j < good.Length; j++) results[chunk[good[j]]] = ok(files[chunk[good[j]]], values[j]);
        }
        return results;
    }

    /// <summary>The pooled features (the input of the classifier, <see cref="ResNet.ForwardFeatures"/>) of each image's centre view.</summary>
    public float[][] Features(IReadOnlyList<RgbImage> images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = Input(images, View(tenCrop: false));
        var features = (onnx is null ? model.ForwardFeatures(input) : onnx.Features(input)).cpu();
        var size = (int)features.shape[1];
        var values = features.data<float>().ToArray();
        return [.. Enumerable.Range(0, images.Count).Select(i => values.AsSpan(i * size, size).ToArray())];
    }

    Tensor Input(IReadOnlyList<RgbImage> images, IImageTransform view)
    {
        var pixels = view.Height * view.Width * 3;
        var bytes = new byte[images.Count * view.Views * pixels];
        var offsets = new float[images.Count * view.Views * 3];
        for (var i = 0; i < images.Count; i++)
        {
            var random = SampleRandom.For(0, 0, i); // evaluation views use no randomness
            view.Apply(images[i], ref random, bytes.AsSpan(i * view.Views * pixels, view.Views * pixels), offsets.AsSpan(i * view.Views * 3, view.Views * 3));
        }
        return Normalization.ToTensor(bytes, images.Count * view.Views, view.Height, view.Width, offsets).to(device);
    }

    static (RgbImage Image, string? Error)[] Decode(string[] files, int[] chunk)
    {
        var decoded = new (RgbImage Image, string? Error)[chunk.Length];
        Parallel.For(0, chunk.Length, i =>
        {
            try
            {
                decoded[i] = (ImageDecoder.DecodeFile(files[chunk[i]]), null);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                decoded[i] = (default, e.Message);
            }
        });
        return decoded;
    }

    /// <summary>Classifies image files (folders are expanded to the images inside), <paramref name="batchSize"/> at a time.</summary>
    public IReadOnlyList<Prediction> ClassifyFiles(IEnumerable<string> paths, int topK = 5, bool tenCrop = false, int batchSize = 32)
    {
        RequireClassifier();
        return OverFiles(paths, batchSize, images => Classify(images, topK, tenCrop), (file, scores) => new Prediction(file, scores), (file, error) => new Prediction(file, [], error));
    }

    /// <summary>The top <paramref name="topK"/> classes of each image, probabilities averaged over views with 10-crop.</summary>
    public IReadOnlyList<IReadOnlyList<ClassScore>> Classify(IReadOnlyList<RgbImage> images, int topK = 5, bool tenCrop = false)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        RequireClassifier();
        var view = View(tenCrop);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = Input(images, view);
        var logits = onnx is null ? model.call(input) : onnx.Logits(input);
        if (!logits.isfinite().all().item<bool>()) throw Evaluator.NonFinite(1, 1);
        var probabilities = logits.softmax(1).reshape(images.Count, view.Views, -1).mean([1]).cpu();
        var k = Math.Min(topK, probabilities.shape[1]);
        var (values, indexes) = probabilities.topk((int)k, dim: 1);
        var p = values.data<float>().ToArray();
        var labels = indexes.data<long>().ToArray();
        return Enumerable.Range(0, images.Count)
            .Select(i => (IReadOnlyList<ClassScore>)Enumerable.Range(0, (int)k)
                .Select(j => new ClassScore(Name(labels[i * k + j]), (int)labels[i * k + j], p[i * k + j])).ToArray())
            .ToArray();
    }

    void RequireClassifier()
    {
        if (!HasTrainedClassifier)
            throw new InvalidOperationException("This network has no trained classifier (it is a feature extractor, e.g. an imported one that ends at the pool). " +
                                                "Use its features ('resnet features', ImageClassifier.Features), or fine-tune a classifier with 'resnet train --from'.");
    }

    string Name(long label) => label < ClassNames.Count ? ClassNames[(int)label] : $"class {label}";

    static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(ImageDecoder.IsImageFile).Order(StringComparer.Ordinal)
            : [path];

    /// <inheritdoc />
    public void Dispose()
    {
        onnx?.Dispose();
        model.Dispose();
    }
}
