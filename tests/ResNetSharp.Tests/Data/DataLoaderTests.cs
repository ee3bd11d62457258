using ResNetSharp.Data;
using ResNetSharp.Runtime;
using TorchSharp;

namespace ResNetSharp.Tests.Data;

public sealed class DataLoaderTests
{
    public DataLoaderTests() => TorchRuntime.EnsureLoaded();

    /// <summary>Image i is 32x32 with every pixel (i mod 256, i / 256, 1); label i mod 10.</summary>
    static InMemoryDataset Tagged(int count) => new(
        [.. Enumerable.Range(0, count).Select(i => TestImages.Solid(32, 32, (byte)i, (byte)(i / 256), 1))],
        [.. Enumerable.Range(0, count).Select(i => i % 10)], CifarBinary.Cifar10ClassNames);

    static List<(float[] Images, long[] Labels, int[] Indices)> Collect(DataLoader loader, int epoch, int start = 0)
    {
        var list = new List<(float[], long[], int[])>();
        foreach (var batch in loader.Epoch(epoch, start))
            using (batch)
                list.Add((batch.Images.contiguous().data<float>().ToArray(), batch.Labels.data<long>().ToArray(), [.. batch.Indices]));
        return list;
    }

    [Fact]
    public void Should_Give_The_Same_Batches_With_One_Or_Three_Workers()
    {
        // Given the CIFAR augmentation with a fixed seed
        var data = Tagged(100);
        DataLoader Make(int workers) => new(data, new CifarAugmentation(), new DataLoaderOptions { BatchSize = 16, Seed = 5, Workers = workers, Prefetch = 2 });

        // When an epoch is read with 0 (inline), 1 and 3 workers
        var inline = Collect(Make(0), 2);
        var one = Collect(Make(1), 2);
        var three = Collect(Make(3), 2);

        // Then the batches are identical, element for element
        Assert.Equal(7, one.Count);
        for (var b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Indices, three[b].Indices);
            Assert.Equal(one[b].Labels, three[b].Labels);
            Assert.Equal(one[b].Images, three[b].Images);
            Assert.Equal(one[b].Images, inline[b].Images);
        }
    }

    [Fact]
    public void Should_Resume_An_Epoch_With_Exactly_The_Remaining_Batches()
    {
        var data = Tagged(64);
        var loader = new DataLoader(data, new CifarAugmentation(), new DataLoaderOptions { BatchSize = 8, Seed = 1, Workers = 2 });

        // When epoch 3 is read whole and from batch 5
        var whole = Collect(loader, 3);
        var resumed = Collect(loader, 3, start: 5);

        // Then the resumed run gives batches 5..7 of the whole one
        Assert.Equal(3, resumed.Count);
        for (var b = 0; b < 3; b++) Assert.Equal(whole[b + 5].Images, resumed[b].Images);
    }

    [Fact]
    public void Should_Shuffle_Each_Epoch_Differently_And_Cover_Every_Sample_Once()
    {
        var loader = new DataLoader(Tagged(50), new OriginalImage(), new DataLoaderOptions { BatchSize = 16, Workers = 2 });
        var e0 = loader.Order(0);
        var e1 = loader.Order(1);
        Assert.Equal(Enumerable.Range(0, 50), e0.Order());
        Assert.NotEqual(e0, e1);
        Assert.Equal(e0, loader.Order(0));
    }

    [Fact]
    public void Should_Drop_The_Last_Partial_Batch_Only_When_Asked()
    {
        var data = Tagged(50);
        var keep = new DataLoader(data, new OriginalImage(), new DataLoaderOptions { BatchSize = 16, Workers = 1 });
        var drop = new DataLoader(data, new OriginalImage(), new DataLoaderOptions { BatchSize = 16, Workers = 1, DropLast = true });
        Assert.Equal(4, keep.BatchesPerEpoch);
        Assert.Equal(3, drop.BatchesPerEpoch);
        Assert.Equal([16, 16, 16, 2], Collect(keep, 0).Select(b => b.Labels.Length));
        Assert.Equal([16, 16, 16], Collect(drop, 0).Select(b => b.Labels.Length));
    }

    [Fact]
    public void Should_Deliver_Normalised_Images_With_Their_Labels()
    {
        // Given an unshuffled loader that scales to [0, 1]
        var loader = new DataLoader(Tagged(20), new OriginalImage(), new DataLoaderOptions { BatchSize = 20, Shuffle = false, Workers = 1 });

        // When the batch is read
        using var batch = loader.Epoch(0).Single();

        // Then shapes, dtypes, labels and pixel values match the samples
        Assert.Equal(new long[] { 20, 3, 32, 32 }, batch.Images.shape);
        Assert.Equal(torch.ScalarType.Int64, batch.Labels.dtype);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)(i % 10)), batch.Labels.data<long>().ToArray());
        Assert.Equal(13 / 255f, batch.Images[13, 0, 5, 5].item<float>(), 6);
        Assert.Equal(1 / 255f, batch.Images[13, 2, 0, 0].item<float>(), 6);
    }

    [Fact]
    public void Should_Honour_Channels_Last_And_Dtype()
    {
        var loader = new DataLoader(Tagged(4), new OriginalImage(), new DataLoaderOptions
        {
            BatchSize = 4,
            Workers = 1,
            MemoryFormat = MemoryFormat.ChannelsLast,
            DType = torch.ScalarType.BFloat16,
        });
        using var batch = loader.Epoch(0).Single();
        Assert.Equal(torch.ScalarType.BFloat16, batch.Images.dtype);
        Assert.Equal(new long[] { 3072, 1, 96, 3 }, batch.Images.stride());
    }

    [Fact]
    public void Should_Stack_Ten_Crop_Views_Sample_Major()
    {
        var data = new InMemoryDataset([TestImages.Coordinates(40, 30), TestImages.Coordinates(30, 40)], [0, 1], ["a", "b"]);
        var loader = new DataLoader(data, new TenCrop(16, 20), new DataLoaderOptions { BatchSize = 2, Shuffle = false, Workers = 1 });
        using var batch = loader.Epoch(0).Single();
        Assert.Equal(new long[] { 20, 3, 16, 16 }, batch.Images.shape);
        Assert.Equal(10, batch.Views);
        Assert.Equal(2, batch.Labels.shape[0]);
    }

    [Fact]
    public void Should_Stop_Workers_When_The_Consumer_Breaks_Early_And_Surface_Errors()
    {
        // Given a transform that fails on one sample
        var loader = new DataLoader(Tagged(64), new OriginalImage(16, 16), new DataLoaderOptions { BatchSize = 8, Workers = 2 });

        // When enumerated, the error reaches the consumer with its message
        var e = Assert.Throws<InvalidDataException>(() => Collect(loader, 0));
        Assert.Contains("16x16", e.Message);

        // And a loop that breaks after one batch returns promptly
        var ok = new DataLoader(Tagged(64), new OriginalImage(), new DataLoaderOptions { BatchSize = 8, Workers = 2 });
        foreach (var batch in ok.Epoch(0))
        {
            batch.Dispose();
            break;
        }
    }
}
