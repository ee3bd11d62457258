using ResNetSharp.Distributed;
using ResNetSharp.Models;
using ResNetSharp.Tests.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Distributed;

[Collection(SeededCollection.Name)]
public sealed class DataParallelTests
{
    /// <summary>Rank 0 of 2 whose partner's every value is its own plus 1, and whose partner's broadcasts are all 7.</summary>
    sealed class PartnerPlusOne(int rank = 0) : ICommunicator
    {
        public int Rank => rank;

        public int Size => 2;

        public void AllReduceSum(Span<float> values)
        {
            foreach (ref var v in values) v = v + (v + 1);
        }

        public void AllReduceSum(Span<double> values)
        {
            foreach (ref var v in values) v = v + (v + 1);
        }

        public void Broadcast(Span<byte> bytes, int root = 0)
        {
            if (rank != root) bytes.Fill(7);
        }

        public void Broadcast(Span<float> values, int root = 0)
        {
            if (rank != root) values.Fill(7);
        }

        public void Barrier()
        {
        }
    }

    [Fact]
    public void Should_Replace_Every_Gradient_By_Its_Mean_Over_The_Ranks()
    {
        // Given a network with gradients, and a partner rank whose gradients are each ours + 1
        manual_seed(1);
        using var model = new ResNet(ModelZoo.Get("resnet8") with { Classes = 3 });
        model.call(randn(4, 3, 8, 8)).sum().backward();
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        using var parallel = new DataParallel(model, new PartnerPlusOne());

        // When they are averaged
        parallel.AverageGradients();

        // Then each is (g + (g + 1)) / 2 = g + 0.5, in one bucket for so small a network
        Assert.Equal(1, parallel.Buckets);
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.grad!.allclose(before[name] + 0.5, rtol: 1e-6, atol: 1e-6), $"{name}: not averaged");
    }

    [Fact]
    public void Should_Take_Weights_And_Bn_Statistics_From_Rank_0()
    {
        // Given rank 1 of a job whose rank 0 broadcasts 7 everywhere
        manual_seed(1);
        using var model = new ResNet(ModelZoo.Get("resnet8") with { Classes = 3 });
        using var parallel = new DataParallel(model, new PartnerPlusOne(rank: 1));

        // When it takes rank 0's BN statistics, then its whole state
        parallel.BroadcastBuffers();
        var runningMean = model.state_dict()["bn1.running_mean"].clone();
        var weightBefore = model.state_dict()["conv1.weight"].clone();
        parallel.BroadcastState(model);

        // Then the buffers are rank 0's first, then every float tensor is
        Assert.True(runningMean.eq(7).all().item<bool>());
        Assert.False(weightBefore.eq(7).all().item<bool>());
        Assert.True(model.state_dict().Values.Where(t => t.is_floating_point()).All(t => t.eq(7).all().item<bool>()));
    }
}
