using ResNetSharp.Distributed;
using ResNetSharp.Models;
using ResNetSharp.Tests.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Distributed;

[Collection(SeededCollection.Name)]
public sealed class SyncBatchNormTests
{
    /// <summary>One rank that counts its all-reduces.</summary>
    sealed class Counting : ICommunicator
    {
        public int AllReduces { get; private set; }

        public int Rank => 0;

        public int Size => 1;

        public void AllReduceSum(Span<float> values) => AllReduces++;

        public void AllReduceSum(Span<double> values) => AllReduces++;

        public void Broadcast(Span<byte> bytes, int root = 0)
        {
        }

        public void Broadcast(Span<float> values, int root = 0)
        {
        }

        public void Barrier()
        {
        }
    }

    static (Tensor Output, Dictionary<string, Tensor> Grads, Dictionary<string, Tensor> State) TrainStep(Counting? sync)
    {
        manual_seed(3);
        using var model = new ResNet(ModelZoo.Get("resnet8") with { Classes = 4 });
        using var images = randn(6, 3, 12, 12) * 2 + 0.5;
        using var attached = sync is null ? null : SyncBatchNorm.Attach(model, sync);
        model.train();
        var output = model.call(images);
        output.square().mean().backward();
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        var state = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        return (output.detach().clone(), grads, state);
    }

    [Fact]
    public void Should_Equal_Plain_Batch_Norm_On_One_Process_In_Output_Gradients_And_Running_Statistics()
    {
        // Given the same network and batch, once with its own BN and once with synchronised BN over one rank
        var plain = TrainStep(null);
        var ranks = new Counting();
        var synced = TrainStep(ranks);

        // Then every BN layer (7 in ResNet-8) all-reduced its mean and variance forward and their gradients backward
        Assert.Equal(7 * 4, ranks.AllReduces);

        // and outputs, every gradient and every BN running statistic agree to float rounding
        Assert.True(plain.Output.allclose(synced.Output, rtol: 1e-4, atol: 1e-5), $"outputs differ by {(plain.Output - synced.Output).abs().max().item<float>()}");
        foreach (var (name, g) in plain.Grads)
            Assert.True(g.allclose(synced.Grads[name], rtol: 1e-3, atol: 1e-5), $"gradient of {name} differs by {(g - synced.Grads[name]).abs().max().item<float>()}");
        foreach (var (name, s) in plain.State)
            Assert.True(s.to(ScalarType.Float64).allclose(synced.State[name].to(ScalarType.Float64), rtol: 1e-5, atol: 1e-6), $"{name} differs");
        // and the running statistics did move (a step in training mode updates them)
        Assert.False(plain.State["bn1.running_mean"].eq(0).all().item<bool>());
    }
}
