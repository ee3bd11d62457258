using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using ResNetSharp.Data;

namespace ResNetSharp.Interop;

/// <summary>
/// Recognises a separate ONNX preprocessing graph of the common shapes (ML.NET's <c>ResNetPreprocess.onnx</c>,
/// Caffe-style converters): a chain from the image input through Split + Concat over channels (RGB↔BGR) and
/// Sub / Add / Mul / Div by constants (per channel, scalar, or a per-pixel mean image). The chain is folded into
/// one affine map per channel, <c>y = a·x + b</c>, and written as an <see cref="ImagePreprocessing"/>.
/// </summary>
static class PreprocessingGraph
{
    /// <summary>Reads the graph in <paramref name="model"/>; its input holds pixels in [0, <paramref name="inputRange"/>] (ML.NET feeds 0..255).</summary>
    public static ImagePreprocessing Read(byte[] model, string name, float inputRange)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{name}' is not an ONNX model ({e.Message}). Give the preprocessing .onnx file.", e);
        }
        var graph = proto.Graph ?? throw new InvalidDataException($"'{name}' has no graph.");
        var (pre, end, _) = Fold(graph, name, inputRange, untilUnknown: false);
        if (graph.Output.All(o => o.Name != end)) throw new InvalidDataException($"'{name}': the chain from the input ends at '{end}', which is not the graph's output.");
        return pre;
    }

    /// <summary>
    /// Removes a leading preprocessing chain (e.g. the mean image our export puts in front of the network) from a model's
    /// graph: returns it with the network's first layer reading the input, and the preprocessing, or null when there is none.
    /// </summary>
    public static (GraphProto Graph, ImagePreprocessing? Preprocessing) Strip(GraphProto graph, string name, float inputRange)
    {
        var constants = Constants(graph);
        var input = graph.Input.FirstOrDefault(i => !constants.ContainsKey(i.Name));
        if (input is null || graph.Node.FirstOrDefault(n => n.Input.Contains(input.Name)) is not { OpType: "Sub" or "Add" or "Mul" or "Div" or "Split" }) return (graph, null);
        var (pre, end, used) = Fold(graph, name, inputRange, untilUnknown: true);
        var stripped = graph.Clone();
        foreach (var node in stripped.Node.Where(n => used.Contains(n.Output[0])).ToList()) stripped.Node.Remove(node);
        stripped.Input.First(i => i.Name == input.Name).Name = end;
        return (stripped, pre);
    }

    static Dictionary<string, TensorProto> Constants(GraphProto graph)
    {
        var constants = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
            constants[node.Output[0]] = node.Attribute.First(a => a.Name == "value").T;
        return constants;
    }

    static (ImagePreprocessing Preprocessing, string End, HashSet<string> Used) Fold(GraphProto graph, string name, float inputRange, bool untilUnknown)
    {
        var constants = Constants(graph);
        var used = new HashSet<string>();
        var input = graph.Input.FirstOrDefault(i => !constants.ContainsKey(i.Name))
            ?? throw new InvalidDataException($"'{name}' has no image input.");
        var dims = input.Type?.TensorType?.Shape?.Dim;
        int? size = dims is { Count: 4 } && dims[2].HasDimValue && dims[3].HasDimValue && dims[2].DimValue == dims[3].DimValue ? (int)dims[2].DimValue : null;

        // y = a·x + b: a per channel, b per channel or per pixel (CHW); channel c of y reads channel from[c] of x.
        var a = new double[] { 1, 1, 1 };
        double[] b = [0, 0, 0];
        int planeH = 0, planeW = 0;
        int[] from = [0, 1, 2];
        var x = input.Name;
        var nodes = graph.Node.Where(n => n.OpType != "Constant").ToList();
        while (nodes.FirstOrDefault(n => n.Input.Contains(x)) is { } node)
        {
            if (untilUnknown && node.OpType is not ("Split" or "Sub" or "Add" or "Mul" or "Div" or "Identity")) break;
            used.Add(node.Output[0]);
            switch (node.OpType)
            {
                case "Split":
                    if (Axis(node) != 1 || node.Output.Count != 3) throw Misfit(name, node, "a Split of the 3 channels (axis 1)");
                    var concat = nodes.FirstOrDefault(n => n.OpType == "Concat" && n.Input.Any(node.Output.Contains))
                        ?? throw Misfit(name, node, "a Concat of the split channels");
                    if (Axis(concat) != 1 || concat.Input.Count != 3 || !concat.Input.All(node.Output.Contains))
                        throw Misfit(name, concat, "a Concat over axis 1 of the three split channels");
                    var order = concat.Input.Select(i => node.Output.IndexOf(i)).ToArray();
                    used.Add(concat.Output[0]);
                    // the affine map so far is in the old order: permute it with the channels
                    from = [.. order.Select(o => from[o])];
                    a = [.. order.Select(o => a[o])];
                    b = planeH > 0 ? PermutePlanes(b, order) : [.. order.Select(o => b[o])];
                    x = concat.Output[0];
                    continue;
                case "Sub" or "Add" or "Mul" or "Div":
                    var other = node.Input[0] == x ? node.Input[1] : node.Input[0];
                    if (!constants.TryGetValue(other, out var t)) throw Misfit(name, node, "a constant operand");
                    if (node.OpType is "Sub" or "Div" && node.Input[0] != x) throw Misfit(name, node, $"the image minus / divided by a constant (not the reverse)");
                    var values = Floats(t);
                    var shape = t.Dims.ToArray();
                    var hw = shape.Length >= 2 ? shape[^1] * shape[^2] : 1;
                    var perPixel = values.Length > 3 && values.Length == 3 * hw;
                    // per channel means [3, 1, 1] or [1, 3, 1, 1] under NCHW broadcasting; a bare [3] would broadcast over the width
                    var perChannel = values.Length == 3 && shape.Length >= 3 && shape[^1] == 1 && shape[^2] == 1 && shape[^3] == 3;
                    if (!perPixel && !perChannel && values.Length != 1) throw Misfit(name, node, "a scalar, 3 channel values shaped [1, 3, 1, 1], or a 3xHxW mean image");
                    if (perPixel && node.OpType != "Sub" && node.OpType != "Add") throw Misfit(name, node, "a per-pixel constant only in Sub or Add");
                    if (perPixel)
                    {
                        if (planeH == 0)
                        {
                            (planeH, planeW) = ((int)shape[^2], (int)shape[^1]);
                            b = Expand(b, planeH * planeW);
                        }
                        else if (planeH * planeW != hw) throw Misfit(name, node, "mean images of one size");
                        var sign = node.OpType == "Sub" ? -1 : 1;
                        for (var i = 0; i < b.Length; i++) b[i] += sign * values[i];
                    }
                    else
                    {
                        var plane = planeH > 0 ? planeH * planeW : 1;
                        for (var c = 0; c < 3; c++)
                        {
                            double v = values.Length == 1 ? values[0] : values[c];
                            for (var p = 0; p < plane; p++)
                            {
                                var i = c * plane + p;
                                b[i] = node.OpType switch { "Sub" => b[i] - v, "Add" => b[i] + v, "Mul" => b[i] * v, _ => b[i] / v };
                            }
                            a[c] = node.OpType switch { "Mul" => a[c] * v, "Div" => a[c] / v, _ => a[c] };
                        }
                    }
                    x = node.Output[0];
                    continue;
                case "Identity":
                    x = node.Output[0];
                    continue;
                default:
                    throw Misfit(name, node, "Split/Concat (channel order) or Sub/Add/Mul/Div by constants");
            }
        }
        if (!from.SequenceEqual([0, 1, 2]) && !from.SequenceEqual([2, 1, 0])) throw new InvalidDataException($"'{name}' reorders channels as [{string.Join(",", from)}]; only RGB and BGR are supported.");
        if (a.Any(v => v <= 0)) throw new InvalidDataException($"'{name}' scales a channel by a non-positive factor; that is not a normalisation.");

        // Written as ((x / inputRange · range) − mean) / std with x in [0, inputRange].
        var uniform = a.All(v => Math.Abs(v - a[0]) <= 1e-6 * Math.Abs(a[0]));
        var planeSize = planeH > 0 ? planeH * planeW : 1;
        return (new ImagePreprocessing
        {
            ChannelOrder = from[0] == 2 ? ChannelOrder.Bgr : ChannelOrder.Rgb,
            PixelRange = uniform ? (float)(inputRange * a[0]) : inputRange,
            Std = uniform ? [1f, 1f, 1f] : [.. a.Select(v => (float)(1 / v))],
            Mean = [.. b.Select((v, i) => (float)(uniform ? -v : -v / a[i / planeSize]))],
            MeanHeight = planeH,
            MeanWidth = planeW,
            InputSize = planeH > 0 ? planeH : size ?? 224,
        }, x, used);
    }

    static double[] Expand(double[] perChannel, int plane) => [.. Enumerable.Range(0, 3 * plane).Select(i => perChannel[i / plane])];

    static double[] PermutePlanes(double[] b, int[] order)
    {
        var plane = b.Length / 3;
        var result = new double[b.Length];
        for (var c = 0; c < 3; c++) Array.Copy(b, order[c] * plane, result, c * plane, plane);
        return result;
    }

    static long Axis(NodeProto node) => node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0;

    static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidDataException($"Constant '{t.Name}' is not float32.");
        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
    }

    static InvalidDataException Misfit(string name, NodeProto node, string expected) =>
        new($"'{name}' is not a preprocessing graph this importer knows: node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault())}' ({node.OpType}) " +
            $"does not fit; expected {expected}. Give the preprocessing with flags instead (--mean, --std, --channel-order, --pixel-range).");
}
