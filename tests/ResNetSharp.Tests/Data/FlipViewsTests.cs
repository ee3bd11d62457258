using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class FlipViewsTests
{
    [Fact]
    public void Should_Follow_Each_View_With_Its_Exact_Mirror()
    {
        // Given a 6x4 image seen as itself and flipped
        var image = TestImages.Coordinates(6, 4);
        var flip = new FlipViews(new OriginalImage(4, 6));
        var views = new byte[flip.Views * 4 * 6 * 3];
        var offsets = new float[flip.Views * 3];
        var random = new SampleRandom(0);

        // When the views are produced
        flip.Apply(image, ref random, views, offsets);

        // Then view 0 is the image and view 1 its left–right mirror, pixel for pixel
        Assert.Equal(2, flip.Views);
        for (var y = 0; y < 4; y++)
            for (var x = 0; x < 6; x++)
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(image[x, y, c], views[(y * 6 + x) * 3 + c]);
                    Assert.Equal(image[5 - x, y, c], views[((4 + y) * 6 + x) * 3 + c]);
                }
    }
}
