using Onnx;
using ResNetSharp.Data;
using ResNetSharp.Interop;
using ResNetSharp.Models;
using ResNetSharp.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Interop;

public sealed class MeanImageExportTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_Put_The_Per_Pixel_Mean_In_The_Graph_So_Raw_Pixels_Give_The_Checkpoints_Classes()
    {
        // Given a CIFAR network with BN far from identity, trained (as the paper's) with a per-pixel mean: here the mean image of 200 CIFAR test photos
        using var net = OnnxRunner.Randomised(ModelZoo.Create("resnet8"));
        var photos = TestImages.EmbeddedTestPhotos();
        var all = TestImages.CenterViews(photos.Take(200).ToArray(), 32);
        var values = new float[3 * 32 * 32];
        for (var i = 0; i < 200; i++)
            for (var p = 0; p < 32 * 32; p++)
                for (var c = 0; c < 3; c++) values[c * 1024 + p] += all[(i * 1024 + p) * 3 + c] / 200f;
        var normalization = Normalization.PerPixelMean(new MeanImage(32, 32, values));
        var pre = ImagePreprocessing.From(normalization, 32, 32);

        // When it is exported with that preprocessing and ONNX Runtime runs it on raw pixels in [0, 1] (as the metadata says)
        var bytes = OnnxExport.ToBytes(net, new OnnxExportOptions { Preprocessing = pre });
        var files = photos.Where((_, i) => i % 7 == 0).Take(40).ToArray();
        var views = TestImages.CenterViews(files, 32);
        using var noGrad = no_grad();
        using var ours = net.call(normalization.ToTensor(views, files.Length, 32, 32));
        using var raw = tensor(views, [files.Length, 32, 32, 3]).permute(0, 3, 1, 2).to_type(ScalarType.Float32).div(255f).contiguous();
        using var theirs = OnnxRunner.Run(bytes, raw, "logits");

        // Then the logits and every image's class are the checkpoint's, and the metadata states the whole preprocessing
        var difference = OnnxRunner.MaxAbsDifference(ours, theirs);
        output.WriteLine($"max |checkpoint - exported| = {difference:E2} over {files.Length} photos");
        Assert.InRange(difference, 0f, OnnxRunner.Tolerance(ours));
        Assert.Equal(ours.argmax(1).data<long>().ToArray(), theirs.argmax(1).data<long>().ToArray());
        var meta = ModelProto.Parser.ParseFrom(bytes).MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("RGB", meta["preprocessing.channel_order"]);
        Assert.Equal("1", meta["preprocessing.pixel_range"]);
        Assert.Equal("0,0,0", meta["preprocessing.mean"]);
        Assert.Equal("32", meta["preprocessing.resize_shorter_side"]);
        Assert.Contains("mean image", meta["preprocessing.layout"]);

        // ... and importing it back recovers the mean image as preprocessing
        var imported = OnnxImport.FromBytes(bytes);
        using var back = imported.Network;
        Assert.Equal((32, 32), (imported.Preprocessing!.MeanHeight, imported.Preprocessing.MeanWidth));
        using var again = back.call(imported.Preprocessing.ToNormalization().ToTensor(views, files.Length, 32, 32));
        Assert.InRange(OnnxRunner.MaxAbsDifference(ours, again), 0f, OnnxRunner.Tolerance(ours));
    }

    [Fact]
    public void Should_Record_Bgr_And_Byte_Range_In_The_Metadata()
    {
        // Given a Caffe-style preprocessing (BGR, 0..255, per-channel mean, resize 256 for 224)
        using var net = ModelZoo.Create("resnet18");
        var pre = new ImagePreprocessing { ChannelOrder = ChannelOrder.Bgr, PixelRange = 255, Mean = [104f, 117f, 123f], ResizeShorterSide = 256 };

        // When exported
        var meta = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(net, new OnnxExportOptions { Preprocessing = pre })).MetadataProps.ToDictionary(p => p.Key, p => p.Value);

        // Then the layout no longer claims [0, 1] RGB, and reading it back gives the same description
        Assert.Contains("BGR", meta["preprocessing.layout"]);
        Assert.Contains("[0, 255]", meta["preprocessing.layout"]);
        Assert.Equal("256", meta["preprocessing.resize_shorter_side"]);
        var back = OnnxImport.FromBytes(OnnxExport.ToBytes(net, new OnnxExportOptions { Preprocessing = pre }));
        back.Network.Dispose();
        Assert.Equal(pre.ToString(), back.Preprocessing!.ToString());
    }
}
