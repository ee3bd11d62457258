using ResNetSharp.Data;

namespace ResNetSharp.Tests.Data;

public sealed class TrainValSplitTests
{
    sealed class Numbers(int count) : IImageDataset
    {
        public int Count => count;
        public IReadOnlyList<string> ClassNames => ["x"];
        public int Label(int index) => 0;
        public RgbImage Image(int index) => TestImages.Solid(1, 1, (byte)index, 0, 0);
    }

    [Fact]
    public void Should_Split_50k_Into_Disjoint_45k_And_5k_Deterministically()
    {
        // Given a 50,000-sample set
        var data = new Numbers(50_000);

        // When split twice with seed 0 and once with seed 1
        var (train, val) = TrainValSplit.Split(data, seed: 0);
        var (_, sameVal) = TrainValSplit.Split(data, seed: 0);
        var (_, otherVal) = TrainValSplit.Split(data, seed: 1);

        // Then the parts have the paper's sizes, cover everything once, and depend only on the seed
        Assert.Equal(45_000, train.Count);
        Assert.Equal(5_000, val.Count);
        Assert.Equal(50_000, train.Indices.Concat(val.Indices).Distinct().Count());
        Assert.Equal(val.Indices, sameVal.Indices);
        Assert.NotEqual(val.Indices, otherVal.Indices);
        Assert.Equal(val.Indices.Order(), val.Indices);
    }
}
