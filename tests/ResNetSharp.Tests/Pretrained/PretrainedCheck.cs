using ResNetSharp.Data;
using ResNetSharp.Pretrained;

namespace ResNetSharp.Tests.Pretrained;

/// <summary>What every released network must show: its hash, and the accuracy its card states on the embedded CIFAR-10 sample.</summary>
static class PretrainedCheck
{
    /// <summary>The test/ folder of the embedded CIFAR-10 sample (one sub-folder per class).</summary>
    public static string SampleTestFolder
    {
        get
        {
            var root = EmbeddedSample.Unpack();
            if (!Directory.Exists(Path.Combine(root, "test"))) root = Directory.GetDirectories(root).Single();
            return Path.Combine(root, "test");
        }
    }

    /// <summary>
    /// Checks the weights against the card's SHA-256 and classifies the sample's test images with the released
    /// network through the classifier users get: the accuracy must be within three binomial standard errors
    /// (and at least one image) of the card's. Returns the measured accuracy.
    /// </summary>
    public static double AssertMatchesItsCard(PretrainedModel model)
    {
        Assert.Equal(model.Card.Weights.Sha256, PretrainedModel.Sha256Of(model.WeightsPath));
        Assert.Equal(model.Card.Weights.Bytes, new FileInfo(model.WeightsPath).Length);
        var stated = model.Card.Sample;
        Assert.True(stated is not null, $"{model.Name}: the card states no accuracy on the embedded CIFAR-10 sample");

        using var classifier = model.CreateClassifier();
        var predictions = classifier.ClassifyFiles([SampleTestFolder], topK: 1);
        Assert.All(predictions, p => Assert.Null(p.Error));
        Assert.Equal(stated.Images, predictions.Count);
        var correct = predictions.Count(p => p.Top[0].Class == Path.GetFileName(Path.GetDirectoryName(p.Source)));
        var accuracy = correct / (double)predictions.Count;
        var tolerance = Math.Max(3 * stated.StandardError, 1.0 / stated.Images);
        Assert.True(Math.Abs(accuracy - stated.Accuracy) <= tolerance,
            $"{model.Name}: {correct} of {predictions.Count} sample images correct ({accuracy:P2}); the card states {stated.Correct} ({stated.Accuracy:P2} ± {tolerance:P2})");
        return accuracy;
    }
}
