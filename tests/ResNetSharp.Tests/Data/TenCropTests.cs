using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class TenCropTests
{
    [Fact]
    public void Should_Place_Four_Corners_And_The_Centre()
    {
        // Given a 320x256 image and 224 crops
        // When the offsets are computed
        var offsets = TenCrop.CropOffsets(320, 256, 224);

        // Then they are the four corners, then the centre
        Assert.Equal([(0, 0), (96, 0), (0, 32), (96, 32), (48, 16)], offsets);
    }

    [Fact]
    public void Should_Equal_Crops_Of_The_Resized_Image_And_Their_Mirrors()
    {
        // Given a 40x30 image, resize to shorter side 20, crops of 16
        var image = TestImages.Coordinates(40, 30);
        var tenCrop = new TenCrop(CropSize: 16, ResizeShorterSide: 20);
        var views = new byte[10 * 16 * 16 * 3];
        var random = new SampleRandom(0);

        // When the ten views are produced
        tenCrop.Apply(image, ref random, views, new float[30]);

        // Then view v is the crop of the resized image (26x20: 40·20/30 = 26.7, truncated as torchvision does) at the v-th offset, flipped for v ≥ 5
        var resized = ImageResize.ResizeShorterSide(image, 20);
        Assert.Equal((26, 20), (resized.Width, resized.Height));
        var offsets = TenCrop.CropOffsets(26, 20, 16);
        for (var v = 0; v < 10; v++)
        {
            var (left, top) = offsets[v % 5];
            for (var y = 0; y < 16; y++)
                for (var x = 0; x < 16; x++)
                    for (var c = 0; c < 3; c++)
                    {
                        var sx = v < 5 ? left + x : left + 15 - x;
                        var expected = resized[sx, top + y, c];
                        Assert.InRange(views[((v * 16 + y) * 16 + x) * 3 + c], expected - 1, expected + 1);
                    }
        }
    }

    [Fact]
    public void Should_Resize_Whole_Images_To_Each_Paper_Scale()
    {
        // Given a 200x150 image
        var image = TestImages.Coordinates(200, 150);

        // When the multi-scale views are made
        var views = MultiScale.Views(image).ToList();

        // Then the shorter sides are {224, 256, 384, 480, 640}, the longer ones 4/3 of them truncated as torchvision does (298.7 → 298)
        Assert.Equal([224, 256, 384, 480, 640], views.Select(v => v.Image.Height));
        Assert.Equal([298, 341, 512, 640, 853], views.Select(v => v.Image.Width));
    }

    [Fact]
    public void Should_Take_The_Centre_Crop_For_Single_View_Testing()
    {
        // Given a 10x8 image, no resize, crop 4
        var image = TestImages.Coordinates(10, 8);
        var output = new byte[4 * 4 * 3];
        var random = new SampleRandom(0);

        // When centre-cropped
        new CenterCrop(4, null).Apply(image, ref random, output, new float[3]);

        // Then the top-left pixel is source (3, 2)
        Assert.Equal(3, output[0]);
        Assert.Equal(2, output[1]);
    }
}
