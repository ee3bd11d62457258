using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using ResNetSharp.Runtime;

namespace ResNetSharp.Interop;

/// <summary>
/// Writes a network of the paper as an ONNX model built from its <see cref="NetworkSpec"/> and weights
/// (TorchSharp has no ONNX export). Standard operators only: Conv, BatchNormalization (or folded into Conv),
/// Relu, Add, MaxPool, GlobalAveragePool, Flatten, Gemm, and for option A shortcuts Slice with steps + Pad on
/// the channel axis. Input <c>input</c> [N, 3, H, W]; outputs <c>logits</c> [N, classes] and <c>features</c>
/// [N, FeatureSize]; the batch is symbolic. Weights are initializers named by torchvision's state-dict keys;
/// preprocessing, class names and the spec are in <c>metadata_props</c>.
/// </summary>
public static class OnnxExport
{
    /// <summary>Metadata key holding the network's <see cref="NetworkSpec"/> as JSON.</summary>
    public const string SpecKey = "resnetsharp.spec";

    // metadata_props keys that OnnxImport reads back
    internal const string MeanKey = "preprocessing.mean", StdKey = "preprocessing.std", InputSizeKey = "preprocessing.input_size",
        ResizeKey = "preprocessing.resize_shorter_side", PixelRangeKey = "preprocessing.pixel_range", ChannelOrderKey = "preprocessing.channel_order",
        ClassNamesKey = "class_names";

    // The graph's own input when a per-pixel mean image is subtracted inside it.
    const string RawInput = "pixels";

    /// <summary>Writes <paramref name="net"/> (eval-mode semantics) to <paramref name="path"/>.</summary>
    public static void Save(ResNet net, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{path}': folder '{directory}' does not exist. Create it or choose another --out.");
        var bytes = ToBytes(net, options);
        AtomicFile.Write(full, s => s.Write(bytes));
    }

    /// <summary>The serialized ONNX model.</summary>
    public static byte[] ToBytes(ResNet net, OnnxExportOptions? options = null) => ToModel(net, options).ToByteArray();

    internal static ModelProto ToModel(ResNet net, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(net);
        options ??= new OnnxExportOptions();
        if (options.Opset is < 13 or > 21)
            throw new ArgumentException($"Opset {options.Opset} is not supported: choose an opset from 13 to 21 (13 is the default).");
        var spec = net.Spec;
        if (options.ClassNames is { } names && names.Count != spec.Classes)
            throw new ArgumentException($"{names.Count} class names were given but {spec.Name} has {spec.Classes} classes; give one name per class.");
        if (options.InputSize is < 1) throw new ArgumentException($"Input size must be positive (got {options.InputSize}).");

        var pre = (options.Preprocessing ?? ImagePreprocessing.ConventionFor(spec.Stem)).Validate();
        var meanImage = pre.MeanHeight > 0;
        if (meanImage && options.InputSize is { } fixedSize && fixedSize != pre.MeanHeight)
            throw new ArgumentException($"The network subtracts a {pre.MeanWidth}x{pre.MeanHeight} mean image, so its input is {pre.MeanHeight}x{pre.MeanHeight}; --input {fixedSize} cannot be exported.");
        var inputSize = meanImage ? pre.MeanHeight : options.InputSize;

        var graph = InferenceGraph.From(net);
        if (options.FoldBatchNorm) graph = BatchNormFolding.Fold(graph);
        var writer = new GraphWriter();
        if (meanImage) writer.WriteMeanImage(RawInput, InferenceGraph.Input, pre);
        foreach (var op in graph.Ops) writer.Write(op);

        var g = writer.Graph;
        g.Name = spec.Name;
        object height = inputSize is { } size ? size : "height", width = inputSize is { } w ? w : "width";
        g.Input.Add(Value(meanImage ? RawInput : InferenceGraph.Input, "batch", 3, height, width));
        g.Output.Add(Value(InferenceGraph.Logits, "batch", spec.Classes));
        g.Output.Add(Value(InferenceGraph.Features, "batch", spec.FeatureSize));

        var model = new ModelProto
        {
            IrVersion = options.Opset switch { <= 14 => 7, <= 18 => 8, <= 20 => 9, _ => 10 },
            ProducerName = "ResNetSharp",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            DocString = spec.ToString(),
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        foreach (var (key, value) in Metadata(spec, options, pre, inputSize)) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    static IEnumerable<(string, string)> Metadata(NetworkSpec spec, OnnxExportOptions options, ImagePreprocessing pre, int? inputSize)
    {
        static string List(IEnumerable<float> v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        var order = pre.ChannelOrder.ToString().ToUpperInvariant();
        var meanImage = pre.MeanHeight > 0;
        yield return (SpecKey, JsonSerializer.Serialize(spec, ArtefactJson.Options));
        yield return ("resnetsharp.bn_folded", options.FoldBatchNorm ? "true" : "false");
        yield return ("preprocessing.layout", meanImage
            ? $"NCHW, {order}, float32 pixels in [0, {F(pre.PixelRange)}]; the {pre.MeanWidth}x{pre.MeanHeight} per-pixel mean image and the std are applied inside the graph"
            : $"NCHW, {order}, float32 pixels in [0, {F(pre.PixelRange)}], then (x - mean) / std per channel");
        yield return ("preprocessing.description", (meanImage ? pre with { Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f], MeanHeight = 0, MeanWidth = 0 } : pre) + (meanImage ? " (the mean image is inside the graph)" : ""));
        yield return (ChannelOrderKey, order);
        yield return (PixelRangeKey, F(pre.PixelRange));
        // with the mean image in the graph the consumer subtracts nothing
        yield return (MeanKey, meanImage ? "0,0,0" : List(pre.Mean));
        yield return (StdKey, meanImage ? "1,1,1" : List(pre.Std));
        yield return (InputSizeKey, (inputSize ?? pre.InputSize).ToString(CultureInfo.InvariantCulture));
        yield return (ResizeKey, pre.EffectiveResize.ToString(CultureInfo.InvariantCulture));
        yield return ("preprocessing.crop", $"centre {(inputSize ?? pre.InputSize).ToString(CultureInfo.InvariantCulture)}, offset round((side - crop) / 2) half to even, as torchvision's CenterCrop");
        if (options.ClassNames is { } names) yield return (ClassNamesKey, JsonSerializer.Serialize(names));
    }

    static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    sealed class GraphWriter
    {
        public GraphProto Graph { get; } = new();

        /// <summary>(<paramref name="input"/> − mean image) / std, written to <paramref name="output"/>: a per-pixel mean the consumer cannot apply by channel.</summary>
        public void WriteMeanImage(string input, string output, ImagePreprocessing pre)
        {
            var centred = pre.Std.All(v => v == 1f) ? output : output + ".centred";
            Node("Sub", centred, [input, Initializer("preprocessing.mean_image", new WeightData([1, 3, pre.MeanHeight, pre.MeanWidth], [.. pre.Mean]))]);
            if (centred != output)
                Node("Div", output, [centred, Initializer("preprocessing.std", new WeightData([1, 3, 1, 1], [.. pre.Std]))]);
        }

        public void Write(GraphOp op)
        {
            switch (op)
            {
                case ConvOp c:
                    var inputs = new List<string> { c.Input, Initializer(c.Output + ".weight", c.Weight) };
                    if (c.Bias is not null) inputs.Add(Initializer(c.Output + ".bias", c.Bias));
                    Node("Conv", c.Output, inputs,
                        Ints("kernel_shape", c.Kernel, c.Kernel), Ints("strides", c.Stride, c.Stride),
                        Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding));
                    break;
                case BatchNormOp b:
                    Node("BatchNormalization", b.Output,
                        [b.Input, Initializer(b.Output + ".weight", b.Scale), Initializer(b.Output + ".bias", b.Shift),
                            Initializer(b.Output + ".running_mean", b.Mean), Initializer(b.Output + ".running_var", b.Variance)],
                        new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = (float)b.Epsilon });
                    break;
                case ReluOp r:
                    Node("Relu", r.Output, [r.Input]);
                    break;
                case AddOp a:
                    Node("Add", a.Output, [a.Left, a.Right]);
                    break;
                case MaxPoolOp m:
                    Node("MaxPool", m.Output, [m.Input], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
                    break;
                case ZeroPadShortcutOp z:
                    // Option A: x[:, :, ::s, ::s] as Slice with steps, then zero channels appended at the end as Pad on axis 1.
                    var sliced = z.Input;
                    if (z.Stride != 1)
                    {
                        sliced = z.Output + ".slice";
                        Node("Slice", sliced,
                            [z.Input, Int64s(z.Output + ".starts", 0, 0), Int64s(z.Output + ".ends", long.MaxValue, long.MaxValue),
                                Int64s(z.Output + ".axes", 2, 3), Int64s(z.Output + ".steps", z.Stride, z.Stride)]);
                    }
                    Node("Pad", z.Output, [sliced, Int64s(z.Output + ".pads", 0, 0, 0, 0, 0, z.ExtraChannels, 0, 0)]);
                    break;
                case GlobalPoolOp g:
                    Node("GlobalAveragePool", g.Output + ".pool", [g.Input]);
                    Node("Flatten", g.Output, [g.Output + ".pool"], new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                    break;
                case LinearOp l:
                    Node("Gemm", l.Output, [l.Input, Initializer("fc.weight", l.Weight), Initializer("fc.bias", l.Bias)],
                        new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                    break;
                default:
                    throw new NotSupportedException($"No ONNX form for {op.GetType().Name}.");
            }
        }

        void Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = opType, Name = output, Output = { output } };
            node.Input.AddRange(inputs);
            node.Attribute.AddRange(attributes);
            Graph.Node.Add(node);
        }

        string Initializer(string name, WeightData data)
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.Values.AsSpan())) };
            tensor.Dims.AddRange(data.Shape);
            Graph.Initializer.Add(tensor);
            return name;
        }

        string Int64s(string name, params long[] values)
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Dims.Add(values.Length);
            tensor.Int64Data.AddRange(values);
            Graph.Initializer.Add(tensor);
            return name;
        }

        static AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }
    }
}
