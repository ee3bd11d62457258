using ResNetSharp.Data;
using ResNetSharp.Evaluation;

namespace ResNetSharp.Tests.Evaluation;

public sealed class EvaluationProtocolTests
{
    [Theory]
    [InlineData(32, 32, 36)]
    [InlineData(64, 64, 72)]
    [InlineData(224, 256, 256)]
    [InlineData(112, 128, 128)]
    public void Should_Resize_Test_Images_By_The_One_Rule(int crop, int centre, int tenCrop)
    {
        // the centre view of a prediction and the 10-crop of an evaluation both come from TestView
        Assert.Equal(centre, TestView.ShorterSide(crop));
        var view = (TenCrop)EvaluationProtocol.TenCrop.View(new CenterCrop(crop, TestView.ShorterSide(crop)));
        Assert.Equal((crop, tenCrop, 10), (view.Height, view.ResizeShorterSide, view.Views));
    }

    [Fact]
    public void Should_Name_Each_Protocol_By_The_Test_View_It_Starts_From()
    {
        var original = new OriginalImage(32, 32);
        var centre = new CenterCrop(224, 256);

        Assert.Equal("single view (original image)", EvaluationProtocol.Single.ReportedName(original));
        Assert.Equal("flip-averaged (centre crop and its mirror)", EvaluationProtocol.Flip.ReportedName(centre));
        Assert.Same(original, EvaluationProtocol.Single.View(original));
        Assert.Equal(2, EvaluationProtocol.Flip.View(centre).Views);
        Assert.Same(EvaluationProtocol.TenCrop, EvaluationProtocol.Parse("10-crop"));
        Assert.Contains("multi-scale", Assert.Throws<ArgumentException>(() => EvaluationProtocol.Parse("5-crop")).Message);
    }

    [Fact]
    public void Should_Scale_The_Papers_Multi_Scale_Sides_With_The_Input() =>
        Assert.Equal([32, 37, 55, 69, 91], EvaluationProtocol.PaperScales(32));
}
