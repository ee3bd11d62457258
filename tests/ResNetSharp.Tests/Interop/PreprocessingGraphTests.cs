using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Tests.Data;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class PreprocessingGraphTests
{
    [Fact]
    public void Should_Fold_A_Channel_Swap_And_Constants_Into_The_Same_Input_As_OnnxRuntime()
    {
        // Given a Caffe-style preprocessing graph: RGB→BGR, ÷255, − per-channel mean (BGR order), ÷ per-channel std
        var model = Graph(
            Split("x", "r", "g", "b"), Node("Concat", ["b", "g", "r"], "bgr", Int("axis", 1)),
            Node("Div", ["bgr", "k255"], "scaled"), Node("Sub", ["scaled", "mean"], "centred"), Node("Div", ["centred", "std"], "y"));
        model.Graph.Initializer.Add(Floats("k255", [], 255f));
        model.Graph.Initializer.Add(Floats("mean", [1, 3, 1, 1], 0.406f, 0.456f, 0.485f));
        model.Graph.Initializer.Add(Floats("std", [3, 1, 1], 0.225f, 0.224f, 0.229f));
        var file = Path.Combine(Directory.CreateTempSubdirectory("resnetsharp-prep-").FullName, "prep.onnx");
        File.WriteAllBytes(file, model.ToByteArray());

        // When it is read and applied by our Normalization to a photo's bytes
        var pre = OnnxImport.LoadPreprocessing(file);
        var files = TestImages.EmbeddedTestPhotos().Take(3).ToArray();
        var bytes = TestImages.CenterViews(files, 32);
        using var ours = pre.ToNormalization().ToTensor(bytes, 3, 32, 32);

        // Then it is BGR with those constants, and equals what ONNX Runtime computes from the float pixels
        Assert.Equal(ChannelOrder.Bgr, pre.ChannelOrder);
        Assert.Equal(0, pre.MeanHeight);
        using var pixels = tensor(bytes, [3, 32, 32, 3]).permute(0, 3, 1, 2).to_type(ScalarType.Float32).contiguous();
        using var theirs = OnnxRunner.Run(model.ToByteArray(), pixels, "y");
        Assert.InRange(OnnxRunner.MaxAbsDifference(ours, theirs), 0f, 1e-4f);
    }

    [Fact]
    public void Should_Name_The_Node_It_Cannot_Read()
    {
        // Given a graph that clips values (not a normalisation)
        var model = Graph(Node("Relu", ["x"], "y"));
        var file = Path.Combine(Directory.CreateTempSubdirectory("resnetsharp-prep-").FullName, "odd.onnx");
        File.WriteAllBytes(file, model.ToByteArray());

        // When it is read, Then the error names the node and the flags to use instead
        var error = Assert.Throws<InvalidDataException>(() => OnnxImport.LoadPreprocessing(file));
        Assert.Contains("(Relu)", error.Message);
        Assert.Contains("--mean", error.Message);
    }

    static ModelProto Graph(params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "prep" };
        graph.Node.AddRange(nodes);
        graph.Input.Add(Value("x"));
        graph.Output.Add(Value("y"));
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    static ValueInfoProto Value(string name)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (var d in new long[] { 3, 32, 32 }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    // opset 13 Split: equal parts when no 'split' input is given
    static NodeProto Split(string input, params string[] outputs)
    {
        var node = Node("Split", [input], outputs[0], Int("axis", 1));
        node.Output.AddRange(outputs.Skip(1));
        return node;
    }

    static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_" + op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    static TensorProto Floats(string name, long[] dims, params float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }
}
