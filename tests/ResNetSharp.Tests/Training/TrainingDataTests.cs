using ResNetSharp.Data;
using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

public sealed class TrainingDataTests
{
    [Fact]
    public void Should_Not_Decode_The_Training_Set_When_A_Saved_Normalisation_Is_Given()
    {
        // Given an ImageFolder whose training images are all damaged but the first (decoding them all fails)
        using var data = new TinyData(perClass: 40, testPerClass: 4);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(data.Root, "train"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Skip(1))
            File.WriteAllBytes(file, [1, 2, 3]);
        var config = data.Config(iterations: 1);

        // When it is opened for evaluation (normalisation saved in a checkpoint) and for training (normalisation computed)
        var forEvaluation = TrainingData.Open(config, Normalization.PerChannel([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]));
        var training = Record.Exception(() => TrainingData.Open(config));

        // Then evaluation opens the test set and only counts the training files; training decodes them and fails
        Assert.Equal(8, forEvaluation.Test.Count);
        Assert.Equal(["blue", "red"], forEvaluation.ClassNames);
        Assert.Contains("80 train / 8 test images", forEvaluation.Description);
        Assert.IsType<ImageFolderException>(training);
    }

    [Fact]
    public void Should_Test_On_The_Centre_Crop_When_The_Crop_Is_Smaller_Than_The_Images()
    {
        // Given 16x16 images and a 12-pixel crop with CIFAR augmentation
        using var data = new TinyData(perClass: 4, testPerClass: 2, size: 16);

        // When the data is opened for training
        var opened = TrainingData.Open(data.Config(iterations: 1) with { CropSize = 12 });

        // Then both views are 12x12 and the test view is the centre crop of the unresized image
        Assert.Equal((12, 12), (opened.TrainTransform.Height, opened.TrainTransform.Width));
        Assert.Equal(new CenterCrop(12, ResizeShorterSide: null), opened.TestTransform);
    }

    [Fact]
    public void Should_Read_The_Same_Images_When_A_Folder_Is_Opened_Again()
    {
        // Given a folder opened and read once
        using var data = new TinyData(perClass: 4, testPerClass: 2);
        var first = TrainingData.Open(data.Config(iterations: 1));
        var before = Enumerable.Range(0, first.Train.Count).Select(i => first.Train.Image(i).Pixels.ToArray()).ToArray();

        // When one image changes on disk and the folder is opened again
        var changed = Directory.EnumerateFiles(Path.Combine(data.Root, "train", "blue")).Order(StringComparer.Ordinal).First();
        using (var other = new TinyData(perClass: 1, testPerClass: 1))
            File.Copy(Directory.EnumerateFiles(Path.Combine(other.Root, "train", "red")).First(), changed, overwrite: true);
        File.SetLastWriteTimeUtc(changed, DateTime.UtcNow.AddMinutes(1));
        var second = TrainingData.Open(data.Config(iterations: 1));

        // Then the new contents are read, not the decoded copy of the first opening
        Assert.Equal(before.Length, second.Train.Count);
        Assert.NotEqual(before[0], second.Train.Image(0).Pixels.ToArray());
        Assert.Equal(before[1], second.Train.Image(1).Pixels.ToArray());
    }
}
