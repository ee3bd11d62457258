using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace ResNetSharp.Interop;

/// <summary>
/// Evaluates the small integer subgraphs exporters leave in a graph, so that the importer sees constants where the
/// network has constants. PyTorch's exporter, for example, computes the <c>pads</c> of <c>F.pad</c> with
/// ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast nodes. Only integer tensors of a few thousand values
/// are folded; anything else is left to the importer, which then names the node it cannot read.
/// </summary>
static class OnnxConstantFolding
{
    const int MaxValues = 4096;

    sealed record Ints(long[] Shape, long[] Values)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>Adds to <paramref name="constants"/> the output of every node whose inputs are all integer constants; returns those nodes.</summary>
    public static HashSet<NodeProto> Fold(GraphProto graph, Dictionary<string, TensorProto> constants)
    {
        var folded = new HashSet<NodeProto>();
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Constant" || node.Output.Count != 1) continue;
            var inputs = new List<Ints?>();
            var ok = node.Input.Count > 0 || node.OpType == "ConstantOfShape";
            foreach (var name in node.Input)
            {
                if (name.Length == 0)
                {
                    inputs.Add(null);
                    continue;
                }
                if (constants.TryGetValue(name, out var shaped) && node.OpType == "Shape")
                {
                    inputs.Add(new Ints([shaped.Dims.Count], shaped.Dims.ToArray())); // the shape of any constant, whatever its type
                    continue;
                }
                if (!constants.TryGetValue(name, out var t) || Read(t) is not { } value)
                {
                    ok = false;
                    break;
                }
                inputs.Add(value);
            }
            if (!ok) continue;
            Ints? result;
            try
            {
                result = Evaluate(node, inputs);
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
            {
                result = null; // a malformed subgraph stays unfolded and the importer reports the node
            }
            if (result is null || result.Count > MaxValues) continue;
            constants[node.Output[0]] = Write(result);
            folded.Add(node);
        }
        return folded;
    }

    static Ints? Evaluate(NodeProto node, List<Ints?> inputs)
    {
        var attrs = node.Attribute.ToDictionary(a => a.Name);
        long Attr(string name, long fallback) => attrs.TryGetValue(name, out var a) ? a.I : fallback;
        switch (node.OpType)
        {
            case "Identity":
            case "Shape":
                return inputs[0];
            case "Gather":
                {
                    if (inputs.Count < 2 || inputs[0] is not { Shape.Length: 1 } data || inputs[1] is not { } indices || Attr("axis", 0) != 0) return null;
                    var values = indices.Values.Select(i => data.Values[i < 0 ? i + data.Values.Length : i]).ToArray();
                    return new Ints(indices.Shape, values);
                }
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                {
                    if (inputs.Count != 2 || inputs[0] is not { } a || inputs[1] is not { } b) return null;
                    if (a.Count != b.Count && a.Count != 1 && b.Count != 1) return null; // equal shapes or a scalar only
                    var big = a.Count >= b.Count ? a : b;
                    var values = new long[big.Values.Length];
                    for (var i = 0; i < values.Length; i++)
                    {
                        var x = a.Values[a.Count == 1 ? 0 : i];
                        var y = b.Values[b.Count == 1 ? 0 : i];
                        values[i] = node.OpType switch
                        {
                            "Add" => x + y,
                            "Sub" => x - y,
                            "Mul" => x * y,
                            _ => y == 0 ? throw new InvalidOperationException("division by zero") : x / y,
                        };
                    }
                    return new Ints(a.Shape.Length >= b.Shape.Length ? (a.Count >= b.Count ? a.Shape : b.Shape) : b.Shape, values);
                }
            case "Cast":
                // integer to integer only; values stay exact
                return Attr("to", 0) is (long)TensorProto.Types.DataType.Int64 or (long)TensorProto.Types.DataType.Int32 ? inputs[0] : null;
            case "ConstantOfShape":
                {
                    var shape = inputs.Count > 0 && inputs[0] is { } s ? s.Values : [];
                    if (shape.Any(d => d < 0) || shape.Aggregate(1L, (a, b) => a * b) > MaxValues) return null;
                    long fill = 0;
                    if (attrs.TryGetValue("value", out var v))
                    {
                        if (Read(v.T) is not { } f) return null; // a float fill is not an integer subgraph
                        fill = f.Values.Single();
                    }
                    return new Ints(shape, Enumerable.Repeat(fill, (int)shape.Aggregate(1L, (a, b) => a * b)).ToArray());
                }
            case "Concat":
                {
                    var parts = inputs.OfType<Ints>().ToList();
                    if (parts.Count != inputs.Count || parts.Any(p => p.Shape.Length != 1) || Attr("axis", 0) is not (0 or -1)) return null;
                    var values = parts.SelectMany(p => p.Values).ToArray();
                    return new Ints([values.Length], values);
                }
            case "Reshape":
                {
                    if (inputs.Count < 2 || inputs[0] is not { } data || inputs[1] is not { } target) return null;
                    var shape = target.Values.Select((d, i) => d == 0 && Attr("allowzero", 0) == 0 ? data.Shape[i] : d).ToArray();
                    var known = shape.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
                    var unknown = Array.IndexOf(shape, -1L);
                    if (unknown >= 0) shape[unknown] = known == 0 ? 0 : data.Count / known;
                    return shape.Aggregate(1L, (a, b) => a * b) == data.Count ? data with { Shape = shape } : null;
                }
            case "Unsqueeze":
            case "Squeeze":
                {
                    if (inputs[0] is not { } data) return null;
                    var axes = inputs.Count > 1 && inputs[1] is { } a ? a.Values : attrs.TryGetValue("axes", out var aa) ? aa.Ints.ToArray() : [];
                    var shape = data.Shape.ToList();
                    if (node.OpType == "Squeeze")
                    {
                        var drop = axes.Length == 0 ? [.. Enumerable.Range(0, shape.Count).Where(i => shape[i] == 1)] : axes.Select(x => (int)(x < 0 ? x + shape.Count : x)).ToArray();
                        foreach (var i in drop.OrderDescending()) shape.RemoveAt(i);
                    }
                    else
                    {
                        var rank = shape.Count + axes.Length;
                        foreach (var i in axes.Select(x => (int)(x < 0 ? x + rank : x)).Order()) shape.Insert(i, 1);
                    }
                    return data with { Shape = [.. shape] };
                }
            case "Transpose":
                {
                    if (inputs[0] is not { } data) return null;
                    var rank = data.Shape.Length;
                    var perm = attrs.TryGetValue("perm", out var p) ? p.Ints.Select(v => (int)v).ToArray() : [.. Enumerable.Range(0, rank).Reverse()];
                    var shape = perm.Select(i => data.Shape[i]).ToArray();
                    var output = new long[data.Values.Length];
                    var strides = Strides(data.Shape);
                    var index = new long[rank];
                    for (var o = 0; o < output.Length; o++)
                    {
                        Unravel(o, shape, index);
                        long source = 0;
                        for (var d = 0; d < rank; d++) source += index[d] * strides[perm[d]];
                        output[o] = data.Values[source];
                    }
                    return new Ints(shape, output);
                }
            case "Slice":
                {
                    if (inputs.Count < 3 || inputs[0] is not { } data || inputs[1] is not { } starts || inputs[2] is not { } ends) return null;
                    var rank = data.Shape.Length;
                    var axes = inputs.Count > 3 && inputs[3] is { } a ? a.Values : [.. Enumerable.Range(0, starts.Values.Length).Select(i => (long)i)];
                    var steps = inputs.Count > 4 && inputs[4] is { } s ? s.Values : [.. Enumerable.Repeat(1L, starts.Values.Length)];
                    var begin = new long[rank];
                    var step = Enumerable.Repeat(1L, rank).ToArray();
                    var shape = data.Shape.ToArray();
                    for (var i = 0; i < axes.Length; i++)
                    {
                        var axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                        var dim = data.Shape[axis];
                        var st = steps[i];
                        if (st == 0) return null;
                        long Clamp(long v, long lo, long hi) => Math.Min(Math.Max(v < 0 ? v + dim : v, lo), hi);
                        var b = st > 0 ? Clamp(starts.Values[i], 0, dim) : Clamp(starts.Values[i], -1, dim - 1);
                        var e = st > 0 ? Clamp(ends.Values[i], 0, dim) : Clamp(ends.Values[i], -1, dim - 1);
                        begin[axis] = b;
                        step[axis] = st;
                        shape[axis] = Math.Max(0, st > 0 ? (e - b + st - 1) / st : (b - e - st - 1) / -st);
                    }
                    var strides = Strides(data.Shape);
                    var count = shape.Aggregate(1L, (x, y) => x * y);
                    var output = new long[count];
                    var index = new long[rank];
                    for (var o = 0; o < count; o++)
                    {
                        Unravel(o, shape, index);
                        long source = 0;
                        for (var d = 0; d < rank; d++) source += (begin[d] + index[d] * step[d]) * strides[d];
                        output[o] = data.Values[source];
                    }
                    return new Ints(shape, output);
                }
            default:
                return null;
        }
    }

    static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    static void Unravel(long flat, long[] shape, long[] index)
    {
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
    }

    static Ints? Read(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External) return null;
        var shape = t.Dims.ToArray();
        long[]? values = t.DataType switch
        {
            (int)TensorProto.Types.DataType.Int64 => t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray(),
            (int)TensorProto.Types.DataType.Int32 => (t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray() : t.Int32Data.ToArray()).Select(v => (long)v).ToArray(),
            _ => null, // not an integer tensor
        };
        if (values is null) return null;
        return values.Length == shape.Aggregate(1L, (a, b) => a * b) && values.Length <= MaxValues ? new Ints(shape, values) : null;
    }

    static TensorProto Write(Ints value)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(value.Shape);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(value.Values.AsSpan()));
        return t;
    }
}
