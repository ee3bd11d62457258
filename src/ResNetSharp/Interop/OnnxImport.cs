using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using static TorchSharp.torch;

namespace ResNetSharp.Interop;

/// <summary>
/// Reads a ResNet-like ONNX graph made by any tool into one of our networks: the stem kind, blocks per stage,
/// widths, unit kind (basic/bottleneck, post- or pre-activation), stride placement and shortcut option (A/B/C)
/// are inferred from the graph, a <see cref="NetworkSpec"/> is built and the weights are copied.
/// Accepted operators: Conv, BatchNormalization, Relu, Add, MaxPool, AveragePool (over the whole map),
/// GlobalAveragePool, ReduceMean over H and W, Flatten/Reshape, Gemm, Slice + Pad (option A), Constant.
/// A graph that is not such a network is rejected with an <see cref="InvalidDataException"/> naming the first node that does not fit.
/// </summary>
public static class OnnxImport
{
    /// <summary>Reads the ONNX file at <paramref name="path"/>.</summary>
    public static OnnxImportResult Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No ONNX file at '{path}'. Check the path.", path);
        return FromBytes(File.ReadAllBytes(path), Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>
    /// Reads a separate preprocessing graph (e.g. ML.NET's <c>ResNetPreprocess.onnx</c>: RGB→BGR, minus a mean image)
    /// whose input holds pixels in [0, <paramref name="inputRange"/>]; see <see cref="ImagePreprocessing"/>.
    /// </summary>
    public static ImagePreprocessing LoadPreprocessing(string path, float inputRange = 255f)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No preprocessing ONNX file at '{path}'. Check the path.", path);
        return PreprocessingGraph.Read(File.ReadAllBytes(path), Path.GetFileName(path), inputRange);
    }

    /// <summary>Reads a serialized ONNX model.</summary>
    public static OnnxImportResult FromBytes(byte[] model, string name = "imported")
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{name}' is not an ONNX model ({e.Message}). Give a .onnx file.", e);
        }
        if (proto.Graph is null || proto.Graph.Node.Count == 0) throw new InvalidDataException($"'{name}' has no graph nodes; it is not an ONNX model of a network.");
        var metadata = proto.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        var recorded = ReadPreprocessing(metadata);
        // a mean image (and std) in front of the first convolution, as our export writes a per-pixel mean, is preprocessing
        var (graph, inGraph) = PreprocessingGraph.Strip(proto.Graph, name, recorded?.PixelRange ?? 1f);
        var result = new Reader(graph).Read(name);
        var pre = inGraph is null ? recorded
            : inGraph with { ChannelOrder = recorded?.ChannelOrder ?? inGraph.ChannelOrder, ResizeShorterSide = recorded?.ResizeShorterSide };
        var notes = inGraph is null ? result.Notes : [.. result.Notes, $"the graph starts with preprocessing ({inGraph}); it is applied by our loaders instead"];
        return result with { Notes = notes, Preprocessing = pre, ClassNames = ReadClassNames(metadata, result.Spec.Classes) };
    }

    // Our exports record preprocessing and classes in metadata_props (OnnxExport.Metadata); other tools' files
    // usually record nothing, and values that do not parse are ignored rather than guessed.
    static ImagePreprocessing? ReadPreprocessing(Dictionary<string, string> metadata)
    {
        static float[]? Floats(string? text)
        {
            if (text is null) return null;
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            var values = new float[parts.Length];
            for (var i = 0; i < parts.Length; i++)
                if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])) return null;
            return values.Length == 3 ? values : null;
        }
        static int? Int(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
        if (Floats(metadata.GetValueOrDefault(OnnxExport.MeanKey)) is not { } mean || Floats(metadata.GetValueOrDefault(OnnxExport.StdKey)) is not { } std)
            return null;
        var range = float.TryParse(metadata.GetValueOrDefault(OnnxExport.PixelRangeKey), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 1f;
        var order = metadata.GetValueOrDefault(OnnxExport.ChannelOrderKey) is { } o && o.Equals("BGR", StringComparison.OrdinalIgnoreCase) ? Data.ChannelOrder.Bgr : Data.ChannelOrder.Rgb;
        var size = Int(metadata.GetValueOrDefault(OnnxExport.InputSizeKey)) ?? 224;
        return new ImagePreprocessing
        {
            Mean = mean,
            Std = std,
            InputSize = size,
            PixelRange = range,
            ChannelOrder = order,
            ResizeShorterSide = Int(metadata.GetValueOrDefault(OnnxExport.ResizeKey)) is { } side && side >= size ? side : null,
        };
    }

    static string[]? ReadClassNames(Dictionary<string, string> metadata, int classes)
    {
        if (metadata.GetValueOrDefault(OnnxExport.ClassNamesKey) is not { } json) return null;
        try
        {
            return JsonSerializer.Deserialize<string[]>(json) is { } names && names.Length == classes ? names : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    sealed record Unit(NodeProto FirstConv, NodeProto? Add, int Stride, int Width, int OutChannels, BlockKind Block, BottleneckStride? Placement, ShortcutKind Shortcut, int InChannels);

    sealed record ConvInfo(NodeProto Node, WeightData Weight, WeightData? Bias, int Kernel, int Stride, int Padding)
    {
        public int OutChannels => (int)Weight.Shape[0];
        public int InChannels => (int)Weight.Shape[1];
    }

    sealed class Reader
    {
        readonly GraphProto graph;
        readonly Dictionary<string, TensorProto> constants = [];
        readonly Dictionary<string, List<NodeProto>> consumers = [];
        readonly Dictionary<string, NodeProto> producers = [];
        readonly Dictionary<string, WeightData> weights = [];
        readonly List<string> notes = [];
        readonly Dictionary<string, int> sizes = [];
        readonly Dictionary<string, int> padBefore = []; // option-A units whose zero channels come first, by unit path
        int? size;
        bool asymmetricNoted;

        public Reader(GraphProto graph)
        {
            this.graph = graph;
            foreach (var t in graph.Initializer) constants[t.Name] = t;
            foreach (var node in graph.Node)
            {
                if (node.OpType != "Constant") continue;
                constants[node.Output[0]] = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                    ?? throw Misfit(node, "a Constant with a tensor 'value'");
            }
            var folded = OnnxConstantFolding.Fold(graph, constants);
            foreach (var node in graph.Node)
            {
                if (folded.Contains(node)) continue;
                if (node.OpType == "Constant")
                {
                    var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                        ?? throw Misfit(node, "a Constant with a tensor 'value'");
                    constants[node.Output[0]] = value;
                    continue;
                }
                foreach (var input in node.Input.Where(i => i.Length > 0 && !constants.ContainsKey(i)))
                {
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                    list.Add(node);
                }
                foreach (var output in node.Output) producers[output] = node;
            }
        }

        public OnnxImportResult Read(string name)
        {
            var input = graph.Input.FirstOrDefault(i => !constants.ContainsKey(i.Name))
                ?? throw new InvalidDataException("The graph has no input that is not a weight; an image input [N, 3, H, W] was expected.");
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: 4 } && dims[2].HasDimValue && dims[3].HasDimValue && dims[2].DimValue == dims[3].DimValue)
            {
                size = (int)dims[2].DimValue;
                TrackSizes(input.Name, size.Value);
            }

            // Pre-activation nets have BNs that read something other than a convolution (a sum, the max pool).
            var preact = graph.Node.Any(n => n.OpType == "BatchNormalization" && producers.TryGetValue(n.Input[0], out var p) && p.OpType is "Add" or "MaxPool");

            // Stem: 7x7/2 conv, BN, ReLU, 3x3/2 max pool (ImageNet) or a 3x3 conv [+ BN, ReLU] (CIFAR).
            var stemNode = Only(input.Name, "a Conv reading the image (the stem)");
            var stem = Conv(stemNode, "Conv");
            if (stem.InChannels != 3) throw Misfit(stemNode, $"a stem convolution over 3 colour channels (it has {stem.InChannels})");
            var imageNet = stem.Kernel == 7;
            if (!(imageNet ? stem.Stride == 2 && stem.Padding == 3 : stem.Kernel == 3 && stem.Stride == 1 && stem.Padding == 1))
                throw Misfit(stemNode, "a 7x7 stride-2 pad-3 (ImageNet) or 3x3 stride-1 pad-1 (CIFAR) stem convolution");
            string x;
            if (!preact || imageNet)
            {
                x = Relu(ConvBn(stem, "conv1", "bn1"));
                if (imageNet) x = MaxPool(x);
            }
            else
            {
                x = Raw(stem, "conv1");
            }

            // Residual stages.
            var units = new List<Unit>();
            var channels = stem.OutChannels;
            while (!AtTail(x, preact))
            {
                var unit = preact ? PreActUnit(x, channels, $"u{units.Count}", out x) : PostActUnit(x, channels, $"u{units.Count}", out x);
                units.Add(unit);
                channels = unit.OutChannels;
            }
            if (units.Count == 0) throw Misfit(Consumers(x).FirstOrDefault() ?? stemNode, "a residual unit after the stem");

            // Tail: [BN, ReLU,] pool, [Flatten, Gemm].
            if (preact) x = Relu(Bn(Only(x, "the final BatchNormalization"), "norm"));
            x = Pool(PastZeroPad(Only(x, "a global average pool")), channels);
            var (output, logits, classes) = Head(x, channels);

            var spec = BuildSpec(name, imageNet, stem.OutChannels, units, preact, classes);
            if (padBefore.Count > 0)
            {
                PermuteStream(units, stem.OutChannels, preact);
                notes.Add("option A puts the zero channels before the input's channels in this graph; the channels the shortcuts carry were reordered to ours (same outputs" +
                    (logits ? ")" : "; the features come out in our channel order)"));
            }
            RenameUnits(spec);
            return new OnnxImportResult(CreateNetwork(spec, logits), output, logits, notes);
        }

        NetworkSpec BuildSpec(string name, bool imageNet, int stemWidth, List<Unit> units, bool preact, int classes)
        {
            var block = units[0].Block;
            var blocks = new List<int>();
            var widths = new List<int>();
            foreach (var u in units)
            {
                if (u.Block != block) throw Misfit(u.FirstConv, $"a {block.ToString().ToLowerInvariant()} unit like the first one");
                if (u.Stride != 1 && u.Stride != 2) throw Misfit(u.FirstConv, "stride 1 or 2 in a unit");
                if (blocks.Count == 0 || u.Stride == 2)
                {
                    if (blocks.Count == 0 && u.Stride != 1) throw Misfit(u.FirstConv, "stride 1 in the first stage (the stem downsamples)");
                    blocks.Add(0);
                    widths.Add(u.Width);
                }
                if (u.Width != widths[^1]) throw Misfit(u.FirstConv, $"width {widths[^1]} like the other units of stage {blocks.Count}");
                if (u.OutChannels != u.Width * (block == BlockKind.Bottleneck ? 4 : 1))
                    throw Misfit(u.FirstConv, $"a unit that outputs {(block == BlockKind.Bottleneck ? "4x" : "1x")} its width ({u.OutChannels} channels for width {u.Width})");
                blocks[^1]++;
            }
            var placements = units.Select(u => u.Placement).OfType<BottleneckStride>().Distinct().ToList();
            if (placements.Count > 1) throw Misfit(units.First(u => u.Placement == placements[1]).FirstConv, $"the stride on the same layer in every downsampling unit ({placements[0]})");
            var spec = new NetworkSpec
            {
                Name = name,
                Stem = imageNet ? StemKind.ImageNet : StemKind.Cifar,
                Block = block,
                BlocksPerStage = blocks,
                Widths = widths,
                StemWidth = stemWidth,
                Residual = units[0].Shortcut != ShortcutKind.None,
                PreActivation = preact,
                Stride = placements.FirstOrDefault(BottleneckStride.OnReduce),
                Classes = classes,
                InputSize = size ?? (imageNet ? 224 : 32),
            };
            // The option is the one whose units (NetworkSpec.Units, the network's own rule) are the graph's units; B first,
            // so a plain net, whose units have no shortcut under any option, is described with the default.
            var fits = new[] { ShortcutOption.B, ShortcutOption.A, ShortcutOption.C }
                .Select(o => spec with { Shortcut = o })
                .Select(s => (Spec: s, Misfits: s.Units().Zip(units).Where(p => !Fits(p.First, p.Second)).ToList()))
                .OrderBy(f => f.Misfits.Count)
                .First();
            if (fits.Misfits.FirstOrDefault() is var (expected, read) && read is not null)
                throw Misfit(read.Add ?? read.FirstConv,
                    $"a {expected.Shortcut} shortcut and stride {expected.Stride} from {expected.InChannels} to {expected.OutChannels} channels here, as option {fits.Spec.Shortcut} gives " +
                    $"(this unit has a {read.Shortcut} shortcut and stride {read.Stride} from {read.InChannels} to {read.OutChannels} channels)");
            return fits.Spec;
        }

        // Option A that puts zero channels before the input's channels computes our network up to an order of the
        // channels that the shortcuts carry: the graph's channel c of the residual stream is our channel perm[c].
        // Every weight that reads the stream is reordered along its input axis, every one that writes it along its output axis.
        void PermuteStream(List<Unit> units, int stemWidth, bool preact)
        {
            var perm = Enumerable.Range(0, stemWidth).ToArray();
            for (var i = 0; i < units.Count; i++)
            {
                var u = units[i];
                var path = $"u{i}";
                var reads = preact ? new[] { (path + ".bn1.", 0), (path + ".conv1.", 1), (path + ".downsample.0.", 1) } : [(path + ".conv1.", 1), (path + ".downsample.0.", 1)];
                foreach (var (prefix, axis) in reads) Reorder(prefix, axis, perm);
                if (u.Shortcut == ShortcutKind.ZeroPad)
                {
                    var before = padBefore.GetValueOrDefault(path);
                    var next = new int[u.OutChannels];
                    for (var c = 0; c < u.InChannels; c++) next[before + c] = perm[c];
                    var zero = u.InChannels;
                    for (var c = 0; c < u.OutChannels; c++)
                        if (c < before || c >= before + u.InChannels) next[c] = zero++;
                    perm = next;
                }
                else if (u.Shortcut == ShortcutKind.Projection)
                {
                    perm = Enumerable.Range(0, u.OutChannels).ToArray(); // a projection writes a fresh stream in the graph's order
                }
                var last = u.Block == BlockKind.Bottleneck ? "3" : "2";
                var writes = preact ? new[] { (path + ".conv" + last + ".", 0) } : [(path + ".conv" + last + ".", 0), (path + ".bn" + last + ".", 0)];
                if (u.Shortcut != ShortcutKind.Projection) foreach (var (prefix, axis) in writes) Reorder(prefix, axis, perm);
            }
            if (preact) Reorder("norm.", 0, perm);
            Reorder("fc.weight", 1, perm);
        }

        // new[..., perm[c], ...] = old[..., c, ...] along axis for every weight whose name starts with prefix
        void Reorder(string prefix, int axis, int[] perm)
        {
            foreach (var key in weights.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                var w = weights[key];
                if (w.Shape.Length <= axis || w.Shape[axis] != perm.Length)
                    throw new InvalidDataException($"Imported weight '{key}' has shape [{string.Join(",", w.Shape)}], not {perm.Length} channels on axis {axis}; this is a bug in the importer.");
                var outer = w.Shape.Take(axis).Aggregate(1L, (a, b) => a * b);
                var inner = w.Shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
                var values = new float[w.Values.Length];
                for (long o = 0; o < outer; o++)
                    for (var c = 0; c < perm.Length; c++)
                        Array.Copy(w.Values, (o * perm.Length + c) * inner, values, (o * perm.Length + perm[c]) * inner, inner);
                weights[key] = new WeightData(w.Shape, values);
            }
        }

        static bool Fits(UnitLayout expected, Unit read) =>
            expected.Shortcut == read.Shortcut && expected.Stride == read.Stride && expected.InChannels == read.InChannels && expected.OutChannels == read.OutChannels;

        // Units were read as u0, u1, ...; their torchvision names are layer<stage>.<block>.
        void RenameUnits(NetworkSpec spec)
        {
            var renamed = new Dictionary<string, WeightData>();
            var paths = spec.Units().Select((u, i) => (u, i)).ToDictionary(p => $"u{p.i}", p => p.u.Path);
            foreach (var (key, value) in weights)
            {
                var dot = key.IndexOf('.', StringComparison.Ordinal);
                renamed[dot > 0 && paths.TryGetValue(key[..dot], out var path) ? path + key[dot..] : key] = value;
            }
            weights.Clear();
            foreach (var (key, value) in renamed) weights[key] = value;
        }

        ResNet CreateNetwork(NetworkSpec spec, bool withClassifier)
        {
            var net = new ResNet(spec);
            using var noGrad = no_grad();
            var state = net.state_dict();
            foreach (var (key, data) in weights)
            {
                if (!state.TryGetValue(key, out var target)) throw new InvalidDataException($"Imported weight '{key}' has no place in {spec}; this is a bug in the importer.");
                if (!target.shape.SequenceEqual(data.Shape))
                    throw new InvalidDataException($"Imported weight '{key}' has shape [{string.Join(",", data.Shape)}] but {spec.Name} needs [{string.Join(",", target.shape)}].");
                using var source = tensor(data.Values, data.Shape);
                target.copy_(source);
            }
            var unset = state.Keys.Where(k => !weights.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal) && (withClassifier || !k.StartsWith("fc.", StringComparison.Ordinal))).ToList();
            if (unset.Count > 0) throw new InvalidDataException($"The graph gave no values for {string.Join(", ", unset)}; this is a bug in the importer.");
            net.eval();
            return net;
        }

        // Post-activation unit (Fig. 5): conv-BN-ReLU ... conv-BN, + shortcut, ReLU.
        Unit PostActUnit(string x, int inChannels, string path, out string next)
        {
            var convs = Consumers(x).Where(n => n.OpType == "Conv").ToList();
            var main = convs.FirstOrDefault(c => After(AfterBn(c.Output[0])) is not { OpType: "Add" }) ?? convs.FirstOrDefault()
                ?? throw Misfit(Consumers(x).First(), "a unit's first Conv");
            var projection = convs.FirstOrDefault(c => c != main);
            var others = Consumers(x).Where(n => n.OpType != "Conv").ToList();
            if (convs.Count > 2) throw Misfit(convs[2], "at most a unit's first conv and one projection reading the same tensor");

            var c1 = Conv(main, "Conv");
            var y = Relu(ConvBn(c1, path + ".conv1", path + ".bn1"));
            var c2 = Conv(Only(y, "the unit's second Conv"), "Conv");
            y = ConvBn(c2, path + ".conv2", path + ".bn2");
            ConvInfo? c3 = null;
            if (c1.Kernel == 1)
            {
                y = Relu(y);
                c3 = Conv(Only(y, "the bottleneck's third Conv"), "Conv");
                y = ConvBn(c3, path + ".conv3", path + ".bn3");
            }
            var (block, width, outChannels, stride, placement) = Shape(c1, c2, c3);
            var after = Only(y, "Add (residual unit) or Relu (plain unit)");
            if (after.OpType == "Relu")
            {
                if (projection is not null || others.Count > 0) throw Misfit(projection ?? others[0], "nothing else reading a plain unit's input");
                next = Relu(y);
                return new Unit(main, null, stride, width, outChannels, block, placement, ShortcutKind.None, inChannels);
            }
            if (after.OpType != "Add") throw Misfit(after, "Add (residual unit) or Relu (plain unit)");
            var other = after.Input[0] == y ? after.Input[1] : after.Input[0];
            var kind = Shortcut(after, other, x, projection, path, stride, withNorm: true, inChannels, outChannels);
            next = Relu(after.Output[0]);
            return new Unit(main, after, stride, width, outChannels, block, placement, kind, inChannels);
        }

        // Pre-activation unit: BN-ReLU-conv ..., + shortcut (identity/option A read x, a projection reads the pre-activation).
        Unit PreActUnit(string x, int inChannels, string path, out string next)
        {
            var bn = Consumers(x).FirstOrDefault(n => n.OpType == "BatchNormalization")
                ?? throw Misfit(Consumers(x).FirstOrDefault() ?? producers[x], "BatchNormalization starting a pre-activation unit");
            var pre = Relu(Bn(bn, path + ".bn1"));
            var convs = Consumers(pre).ToList();
            if (convs.Count is 0 or > 2 || convs.Any(c => c.OpType != "Conv")) throw Misfit(convs.FirstOrDefault(c => c.OpType != "Conv") ?? bn, "one or two Convs reading a unit's pre-activation");
            // The projection is a single 1x1 conv feeding the Add directly.
            var projection = convs.Count == 2 ? convs.FirstOrDefault(c => After(c.Output[0]) is { OpType: "Add" }) : null;
            var main = convs.First(c => c != projection);
            var c1 = Conv(main, "Conv");
            string y;
            ConvInfo c2, c3 = null!;
            if (c1.Kernel == 1)
            {
                y = Relu(ConvBn(c1, path + ".conv1", path + ".bn2"));
                c2 = Conv(Only(y, "the bottleneck's 3x3 Conv"), "Conv");
                y = Relu(ConvBn(c2, path + ".conv2", path + ".bn3"));
                c3 = Conv(Only(y, "the bottleneck's last Conv"), "Conv");
                y = Raw(c3, path + ".conv3");
            }
            else
            {
                y = Relu(ConvBn(c1, path + ".conv1", path + ".bn2"));
                c2 = Conv(Only(y, "the unit's second Conv"), "Conv");
                y = Raw(c2, path + ".conv2");
            }
            var (block, width, outChannels, stride, placement) = Shape(c1, c2, c1.Kernel == 1 ? c3 : null);
            var add = Consumers(y).FirstOrDefault();
            if (add is not { OpType: "Add" })
            {
                if (projection is not null) throw Misfit(projection, "no projection in a plain unit");
                next = y;
                return new Unit(main, null, stride, width, outChannels, block, placement, ShortcutKind.None, inChannels);
            }
            var other = add.Input[0] == y ? add.Input[1] : add.Input[0];
            var kind = Shortcut(add, other, x, projection, path, stride, withNorm: false, inChannels, outChannels);
            next = add.Output[0];
            return new Unit(main, add, stride, width, outChannels, block, placement, kind, inChannels);
        }

        (BlockKind, int Width, int Out, int Stride, BottleneckStride?) Shape(ConvInfo c1, ConvInfo c2, ConvInfo? c3)
        {
            if (c3 is null)
            {
                if (c1.Kernel != 3 || c1.Padding != 1) throw Misfit(c1.Node, "a 3x3 pad-1 convolution (basic unit)");
                if (c2.Kernel != 3 || c2.Stride != 1 || c2.Padding != 1) throw Misfit(c2.Node, "a 3x3 stride-1 pad-1 convolution (second of a basic unit)");
                return (BlockKind.Basic, c1.OutChannels, c2.OutChannels, c1.Stride, null);
            }
            if (c1.Padding != 0) throw Misfit(c1.Node, "a 1x1 pad-0 reducing convolution");
            if (c2.Kernel != 3 || c2.Padding != 1) throw Misfit(c2.Node, "a 3x3 pad-1 convolution (bottleneck)");
            if (c3.Kernel != 1 || c3.Stride != 1 || c3.Padding != 0) throw Misfit(c3.Node, "a 1x1 stride-1 expanding convolution");
            if (c1.Stride > 1 && c2.Stride > 1) throw Misfit(c2.Node, "the stride on either the 1x1 or the 3x3 convolution, not both");
            BottleneckStride? placement = c1.Stride > 1 ? BottleneckStride.OnReduce : c2.Stride > 1 ? BottleneckStride.OnSpatial : null;
            if (c2.OutChannels != c1.OutChannels) throw Misfit(c2.Node, $"{c1.OutChannels} output channels like the 1x1 before it");
            return (BlockKind.Bottleneck, c1.OutChannels, c3.OutChannels, Math.Max(c1.Stride, c2.Stride), placement);
        }

        ShortcutKind Shortcut(NodeProto add, string other, string x, NodeProto? projection, string path, int stride, bool withNorm, int inChannels, int outChannels)
        {
            if (other == x)
            {
                if (projection is not null) throw Misfit(projection, "no projection when the shortcut is the identity");
                return ShortcutKind.Identity;
            }
            if (projection is not null)
            {
                var p = Conv(projection, "Conv");
                if (p.Kernel != 1 || p.Padding != 0 || p.Stride != stride || p.OutChannels != outChannels)
                    throw Misfit(projection, $"a 1x1 stride-{stride} projection to {outChannels} channels (eq. 2)");
                var projected = withNorm ? ConvBn(p, path + ".downsample.0", path + ".downsample.1") : Raw(p, path + ".downsample.0");
                if (projected != other) throw Misfit(add, "an Add of the unit's output and its projection");
                return ShortcutKind.Projection;
            }
            // Option A: [Slice with steps] then Pad of zero channels at the end.
            var pad = producers.GetValueOrDefault(other);
            if (pad is not { OpType: "Pad" }) throw Misfit(pad ?? add, "the unit's input, a projection or an option-A Slice/Pad as the Add's other operand");
            var pads = pad.Input.Count > 1 ? Int64s(pad, pad.Input[1]) : pad.Attribute.FirstOrDefault(a => a.Name == "pads")?.Ints.ToArray() ?? [];
            var mode = pad.Attribute.FirstOrDefault(a => a.Name == "mode")?.S.ToStringUtf8() ?? "constant";
            var value = pad.Input.Count > 2 && pad.Input[2].Length > 0 ? Floats(pad, pad.Input[2]).Values.Single() : pad.Attribute.FirstOrDefault(a => a.Name == "value")?.F ?? 0f;
            // Zero channels at the end (ours, fb.resnet.torch), or split before and after the input's channels
            // (e.g. the popular PyTorch CIFAR reproduction): the latter is read as a permutation of the channels.
            if (mode != "constant" || value != 0f || pads.Length != 8 || pads.Where((v, i) => i is not (1 or 5) && v != 0).Any()
                || pads[1] < 0 || pads[5] < 0 || pads[1] + pads[5] != outChannels - inChannels)
                throw Misfit(pad, $"a Pad that adds {outChannels - inChannels} zero channels (option A)");
            if (pads[1] > 0) padBefore[path] = (int)pads[1];
            var source = pad.Input[0];
            if (stride != 1)
            {
                // one Slice over H and W, or one per axis (PyTorch exports x[:, :, ::2, ::2] as two)
                var sliced = new Dictionary<long, long>();
                while (producers.GetValueOrDefault(source) is { OpType: "Slice" } slice)
                {
                    if (slice.Input.Count < 5) throw Misfit(slice, $"a Slice taking every {stride}th pixel (option A)");
                    var starts = Int64s(slice, slice.Input[1]);
                    var axes = Int64s(slice, slice.Input[3]);
                    var steps = Int64s(slice, slice.Input[4]);
                    for (var i = 0; i < axes.Length; i++)
                    {
                        if (starts[i] != 0 || (axes[i] is 2 or 3 ? steps[i] != stride : steps[i] != 1 || axes[i] < 0))
                            throw Misfit(slice, $"a Slice from 0 with step {stride} on axes 2 and 3 (option A)");
                        if (axes[i] is 2 or 3 && !sliced.TryAdd(axes[i], steps[i])) throw Misfit(slice, "each spatial axis sliced once (option A)");
                    }
                    source = slice.Input[0];
                }
                if (sliced.Count != 2) throw Misfit(producers.GetValueOrDefault(source) ?? pad, $"a Slice taking every {stride}th pixel on axes 2 and 3 (option A)");
            }
            if (source != x) throw Misfit(pad, "option A reading the unit's input");
            return ShortcutKind.ZeroPad;
        }

        // Side lengths of every feature map at the declared input size (nodes are in topological order).
        void TrackSizes(string input, int side)
        {
            sizes[input] = side;
            foreach (var node in graph.Node)
            {
                if (node.Input.Count == 0 || !sizes.TryGetValue(node.Input[0], out var h)) continue;
                var k = Ints(node, "kernel_shape") is [var kh, ..] ? (int)kh : node.OpType == "Conv" && constants.TryGetValue(node.Input[1], out var w) && w.Dims.Count == 4 ? (int)w.Dims[2] : 1;
                var s = Ints(node, "strides") is [var sh, ..] ? (int)sh : 1;
                var pads = Ints(node, "pads") is [var pb, _, var pe, _] ? (int)(pb + pe) : 0;
                sizes[node.Output[0]] = node.OpType switch
                {
                    "Conv" or "MaxPool" or "AveragePool" => (h + pads - k) / s + 1,
                    "GlobalAveragePool" => 1,
                    "Slice" when node.Input.Count > 4 && constants.ContainsKey(node.Input[3]) && constants.ContainsKey(node.Input[4])
                        && Array.IndexOf(Int64s(node, node.Input[3]), 2L) is var at && at >= 0
                        => (h + (int)Int64s(node, node.Input[4])[at] - 1) / (int)Int64s(node, node.Input[4])[at],
                    _ => h,
                };
            }
        }

        bool AtTail(string x, bool preact)
        {
            var users = Consumers(x);
            if (users.Count == 0) throw Misfit(producers[x], "a global average pool and an output after the last unit");
            if (users.Count == 1 && PastZeroPad(users[0]).OpType is "GlobalAveragePool" or "AveragePool" or "ReduceMean") return true;
            if (!preact || users.Count != 1 || users[0].OpType != "BatchNormalization") return false;
            var relu = After(users[0].Output[0]);
            return relu is { OpType: "Relu" } && After(relu.Output[0]) is { } pool && PastZeroPad(pool).OpType is "GlobalAveragePool" or "AveragePool" or "ReduceMean";
        }

        // A Pad of nothing (PyTorch exports avg_pool2d as Pad + AveragePool) is skipped: the node after it, else the node itself.
        NodeProto PastZeroPad(NodeProto node)
        {
            if (node.OpType != "Pad" || node.Input.Count < 2 || !constants.ContainsKey(node.Input[1]) || Int64s(node, node.Input[1]).Any(p => p != 0)) return node;
            return Consumers(node.Output[0]) is [var next] ? next : node;
        }

        string Pool(NodeProto node, int channels)
        {
            switch (node.OpType)
            {
                case "GlobalAveragePool":
                    break;
                case "AveragePool":
                    var k = Ints(node, "kernel_shape");
                    var pads = Ints(node, "pads");
                    var side = sizes.TryGetValue(node.Input[0], out var known) ? known : (int?)null;
                    if (side is null || k.Length != 2 || k[0] != side || k[1] != side || pads.Any(p => p != 0))
                        throw Misfit(node, $"an AveragePool over the whole {side?.ToString() ?? "(unknown)"}x{side?.ToString() ?? "(unknown)"} map (declare a fixed input size so it can be checked)");
                    notes.Add($"{node.Name}: AveragePool {k[0]}x{k[1]} covers the whole map at the declared input size, so it is the global average pool.");
                    break;
                case "ReduceMean":
                    var axes = node.Input.Count > 1 ? Int64s(node, node.Input[1]) : Ints(node, "axes");
                    if (!axes.Order().SequenceEqual([2L, 3L])) throw Misfit(node, "a ReduceMean over axes 2 and 3");
                    break;
                default:
                    throw Misfit(node, "a global average pool");
            }
            return node.Output[0];
        }

        (string Output, bool Logits, int Classes) Head(string pooled, int channels)
        {
            // a Shape reading the pooled map only computes the batch size for the flatten (PyTorch's x.view(x.size(0), -1))
            var users = Consumers(pooled).Where(n => n.OpType != "Shape").ToList();
            if (users.Count == 0) return (pooled, false, 1000);
            var x = pooled;
            var node = users.Count == 1 ? users[0] : throw Misfit(users[1], "one classifier reading the pooled features");
            if (node.OpType is "Flatten" or "Reshape" or "Squeeze")
            {
                x = node.Output[0];
                if (Consumers(x).Count == 0) return (x, false, 1000);
                node = Only(x, "Gemm (the classifier)");
            }
            if (node.OpType != "Gemm") throw Misfit(node, "Gemm (the classifier)");
            var alpha = node.Attribute.FirstOrDefault(a => a.Name == "alpha")?.F ?? 1f;
            var beta = node.Attribute.FirstOrDefault(a => a.Name == "beta")?.F ?? 1f;
            var transA = node.Attribute.FirstOrDefault(a => a.Name == "transA")?.I ?? 0;
            var transB = node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I ?? 0;
            if (alpha != 1f || beta != 1f || transA != 0 || node.Input.Count < 3) throw Misfit(node, "Gemm with alpha = beta = 1, no transA and a bias");
            var w = Floats(node, node.Input[1]);
            if (transB == 0) w = Transpose(w);
            var b = Floats(node, node.Input[2]);
            if (w.Shape[1] != channels || b.Values.Length != w.Shape[0]) throw Misfit(node, $"a classifier over {channels} features with one bias per class");
            weights["fc.weight"] = w;
            weights["fc.bias"] = new WeightData([w.Shape[0]], b.Values);
            if (Consumers(node.Output[0]).Count > 0) throw Misfit(Consumers(node.Output[0])[0], "the classifier's output to be the graph's output");
            return (node.Output[0], true, (int)w.Shape[0]);
        }

        static WeightData Transpose(WeightData w)
        {
            var (rows, cols) = ((int)w.Shape[0], (int)w.Shape[1]);
            var t = new float[w.Values.Length];
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < cols; c++) t[c * rows + r] = w.Values[r * cols + c];
            return new WeightData([cols, rows], t);
        }

        // A convolution followed by its BN (or, in a graph with BN folded, a convolution with a bias).
        string ConvBn(ConvInfo conv, string convKey, string bnKey)
        {
            weights[convKey + ".weight"] = conv.Weight;
            var next = After(conv.Node.Output[0]);
            if (next is { OpType: "BatchNormalization" })
            {
                var y = Bn(next, bnKey);
                if (conv.Bias is { } bias)
                {
                    // BN(conv + b) = BN'(conv) with μ' = μ − b.
                    var mean = weights[bnKey + ".running_mean"].Values.Zip(bias.Values, (m, b) => m - b).ToArray();
                    weights[bnKey + ".running_mean"] = new WeightData([mean.Length], mean);
                    notes.Add($"{conv.Node.Name}: convolution bias moved into the following BN's mean.");
                }
                return y;
            }
            if (conv.Bias is null) throw Misfit(next ?? conv.Node, "BatchNormalization after the convolution (or a convolution with a bias, BN folded)");
            // A folded pair: BN with scale 1, shift b, mean 0 and variance 1 − ε reproduces conv + b.
            var n = conv.OutChannels;
            weights[bnKey + ".weight"] = new WeightData([n], Enumerable.Repeat(1f, n).ToArray());
            weights[bnKey + ".bias"] = conv.Bias;
            weights[bnKey + ".running_mean"] = new WeightData([n], new float[n]);
            weights[bnKey + ".running_var"] = new WeightData([n], Enumerable.Repeat(1f - 1e-5f, n).ToArray());
            if (!notes.Contains("BN folded into convolutions: each bias is carried by a BN with unit scale and variance."))
                notes.Add("BN folded into convolutions: each bias is carried by a BN with unit scale and variance.");
            return conv.Node.Output[0];
        }

        string Raw(ConvInfo conv, string convKey)
        {
            if (conv.Bias is not null) throw Misfit(conv.Node, "a convolution without a bias here (this network has no place for one)");
            weights[convKey + ".weight"] = conv.Weight;
            return conv.Node.Output[0];
        }

        string Bn(NodeProto node, string key)
        {
            if (node.OpType != "BatchNormalization") throw Misfit(node, "BatchNormalization");
            if (node.Output.Count > 1 && node.Output.Skip(1).Any(o => o.Length > 0)) throw Misfit(node, "an inference BatchNormalization (one output)");
            var eps = node.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var scale = Floats(node, node.Input[1]);
            var variance = Floats(node, node.Input[4]);
            if (eps != 1e-5f)
            {
                // √(σ² + ε) = √(σ'² + 1e-5) with σ'² = σ² + ε − 1e-5: the same layer with our ε.
                var adjusted = variance.Values.Select(v => v + eps - 1e-5f).ToArray();
                if (adjusted.Any(v => v < 0)) throw Misfit(node, "epsilon ≥ 1e-5 or variances large enough to move epsilon into them");
                variance = variance with { Values = adjusted };
                notes.Add($"{node.Name}: epsilon {eps} moved into the running variance (ours is 1e-5).");
            }
            weights[key + ".weight"] = scale;
            weights[key + ".bias"] = Floats(node, node.Input[2]);
            weights[key + ".running_mean"] = Floats(node, node.Input[3]);
            weights[key + ".running_var"] = variance;
            return node.Output[0];
        }

        string Relu(string x)
        {
            var node = Only(x, "Relu");
            if (node.OpType != "Relu") throw Misfit(node, "Relu");
            return node.Output[0];
        }

        string MaxPool(string x)
        {
            var node = Only(x, "MaxPool (3x3, stride 2)");
            if (node.OpType != "MaxPool") throw Misfit(node, "MaxPool (3x3, stride 2)");
            var k = Ints(node, "kernel_shape");
            var s = Ints(node, "strides");
            if (!k.SequenceEqual([3L, 3L]) || !s.SequenceEqual([2L, 2L]) || Ints(node, "dilations").Any(d => d != 1) || Attr(node, "ceil_mode")?.I is 1)
                throw Misfit(node, "MaxPool 3x3 stride 2");
            if (Padding(node, 3, 2) != 1) throw Misfit(node, "MaxPool padding 1");
            return node.Output[0];
        }

        ConvInfo Conv(NodeProto node, string what)
        {
            if (node.OpType != "Conv") throw Misfit(node, what);
            var weight = Floats(node, node.Input[1]);
            if (weight.Shape.Length != 4 || weight.Shape[2] != weight.Shape[3]) throw Misfit(node, "a square 2-D convolution");
            if ((Attr(node, "group")?.I ?? 1) != 1) throw Misfit(node, "a convolution without groups");
            if (Ints(node, "dilations").Any(d => d != 1)) throw Misfit(node, "a convolution without dilation");
            var strides = Ints(node, "strides");
            if (strides.Length == 2 && strides[0] != strides[1]) throw Misfit(node, "equal strides along height and width");
            var k = (int)weight.Shape[2];
            var stride = strides.Length == 0 ? 1 : (int)strides[0];
            var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? Floats(node, node.Input[2]) : null;
            return new ConvInfo(node, weight, bias, k, stride, Padding(node, k, stride));
        }

        // Symmetric padding p of a k x k, stride-s window. Asymmetric pads (p at the start, e at the end, as
        // SAME_UPPER exporters write) are the same layer when they give the same output size at the declared input size.
        int Padding(NodeProto node, int k, int s)
        {
            var autoPad = Attr(node, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
            if (autoPad is not ("NOTSET" or "")) throw Misfit(node, "explicit pads (auto_pad NOTSET)");
            var pads = Ints(node, "pads");
            if (pads.Length == 0) pads = [0, 0, 0, 0];
            if (pads.Length != 4 || pads[0] != pads[1] || pads[2] != pads[3]) throw Misfit(node, "the same padding along height and width");
            var (begin, end) = ((int)pads[0], (int)pads[2]);
            if (begin != end)
            {
                if (!sizes.TryGetValue(node.Input[0], out var h)) throw Misfit(node, "symmetric pads (asymmetric ones can only be checked at a fixed declared input size)");
                if ((h + 2 * begin - k) / s != (h + begin + end - k) / s)
                    throw Misfit(node, $"pads that equal symmetric ones at input {h}x{h} (pads [{string.Join(",", pads)}] do not)");
                if (!asymmetricNoted)
                    notes.Add($"Asymmetric pads (e.g. {node.Name} [{string.Join(",", pads)}]) equal symmetric ones at the declared {size}x{size} input; other input sizes may differ by a border row.");
                asymmetricNoted = true;
            }
            return begin;
        }

        List<NodeProto> Consumers(string tensor) => consumers.GetValueOrDefault(tensor) ?? [];

        NodeProto? After(string tensor) => Consumers(tensor) is [var only] ? only : null;

        string AfterBn(string tensor) => After(tensor) is { OpType: "BatchNormalization" } bn ? bn.Output[0] : tensor;

        NodeProto Only(string tensor, string expected)
        {
            var users = Consumers(tensor);
            if (users.Count == 1) return users[0];
            var at = users.Count > 1 ? users[1] : producers.GetValueOrDefault(tensor);
            if (at is null) throw new InvalidDataException($"Not a ResNet: tensor '{tensor}' is not read by anything, where {expected} was expected.");
            throw Misfit(at, $"{expected} as the only reader of '{tensor}' ({users.Count} nodes read it)");
        }

        WeightData Floats(NodeProto node, string name)
        {
            if (!constants.TryGetValue(name, out var t)) throw Misfit(node, $"'{name}' to be a weight (initializer or Constant)");
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
                throw new InvalidDataException($"Weight '{name}' is stored outside the model file; save the model with its weights inside (onnx.save(..., save_as_external_data=False)).");
            if (t.DataType != (int)TensorProto.Types.DataType.Float) throw Misfit(node, $"float32 weight '{name}' (it has ONNX data type {t.DataType})");
            var shape = t.Dims.ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var values = t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
            if (values.Length != count) throw Misfit(node, $"weight '{name}' with {count} values for shape [{string.Join(",", shape)}] (it has {values.Length})");
            return new WeightData(shape, values);
        }

        long[] Int64s(NodeProto node, string name)
        {
            if (!constants.TryGetValue(name, out var t)) throw Misfit(node, $"'{name}' to be a constant");
            if (t.DataType == (int)TensorProto.Types.DataType.Int64) return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray();
            if (t.DataType == (int)TensorProto.Types.DataType.Int32) return (t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray() : t.Int32Data.ToArray()).Select(v => (long)v).ToArray();
            throw Misfit(node, $"integer constant '{name}'");
        }

        static AttributeProto? Attr(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

        static long[] Ints(NodeProto node, string name) => Attr(node, name)?.Ints.ToArray() ?? [];

        static InvalidDataException Misfit(NodeProto node, string expected) =>
            new($"Not a ResNet: node '{(string.IsNullOrEmpty(node.Name) ? node.Output.FirstOrDefault() : node.Name)}' ({node.OpType}) does not fit; expected {expected}. " +
                "Only graphs of the paper's networks can be imported (stem, residual or plain units, global pool, optional Gemm classifier).");
    }
}
