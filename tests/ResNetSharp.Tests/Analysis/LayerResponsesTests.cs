using System.Reflection;
using ResNetSharp.Analysis;
using ResNetSharp.Models;
using TorchSharp;
using static TorchSharp.torch;
using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;
using ResNet = ResNetSharp.Models.ResNet;

namespace ResNetSharp.Tests.Analysis;

public sealed class LayerResponsesTests
{
    /// <summary>resnet8 (one unit per stage) with seeded weights and BN statistics that are not the identity.</summary>
    static ResNet TinyNet(string name = "resnet8")
    {
        manual_seed(11);
        var net = ModelZoo.Create(name);
        using var noGrad = no_grad();
        foreach (var bn in net.modules().OfType<BatchNorm2d>())
        {
            bn.weight!.uniform_(0.5, 1.5);
            bn.bias!.uniform_(-0.3, 0.3);
            bn.running_mean!.uniform_(-0.2, 0.2);
            bn.running_var!.uniform_(0.5, 2.0);
        }
        return net;
    }

    static Tensor[] Inputs()
    {
        manual_seed(3);
        return [randn(4, 3, 16, 16), randn(3, 3, 16, 16)];
    }

    /// <summary>
    /// Independent of the observer: the network's forward spelled out from its own layers, keeping every 3x3 layer's
    /// BN output (eval mode, so BN uses its running statistics).
    /// </summary>
    static (Tensor Logits, Dictionary<string, List<Tensor>> Responses) ByHand(ResNet net, Tensor x, Dictionary<string, List<Tensor>> kept)
    {
        var m = net.named_modules().ToDictionary(p => p.name, p => (nn.Module<Tensor, Tensor>)p.module);
        void Keep(string name, Tensor t)
        {
            if (!kept.TryGetValue(name, out var list)) kept[name] = list = [];
            list.Add(t.to_type(ScalarType.Float64));
        }
        var y = m["bn1"].call(m["conv1"].call(x)).relu();
        for (var s = 1; s <= 3; s++)
        {
            var unit = $"layer{s}.0";
            var a = m[$"{unit}.bn1"].call(m[$"{unit}.conv1"].call(y));
            Keep($"{unit}.bn1", a);
            var b = m[$"{unit}.bn2"].call(m[$"{unit}.conv2"].call(a.relu()));
            Keep($"{unit}.bn2", b);
            var shortcut = m.TryGetValue($"{unit}.downsample", out var d) ? d.call(y) : y;
            y = (net.Spec.Residual ? b + shortcut : b).relu();
        }
        var logits = m["fc"].call(y.mean([2, 3]));
        return (logits, kept);
    }

    [Theory]
    [InlineData("resnet8")]
    [InlineData("plain-8")]
    public void Should_Match_The_Std_Computed_From_Every_Response_Tensor(string name)
    {
        // Given a tiny net with fixed weights and two fixed batches
        using var net = TinyNet(name);
        var inputs = Inputs();

        // When the responses are measured with running sums
        var measured = LayerResponses.Measure(net, inputs);

        // Then layers come in network order and each std equals torch's std over all kept BN outputs
        var kept = new Dictionary<string, List<Tensor>>();
        using (no_grad())
        {
            net.eval();
            foreach (var x in inputs)
            {
                var (logits, _) = ByHand(net, x, kept);
                Assert.True(allclose(logits, net.call(x), rtol: 1e-4, atol: 1e-5), "the hand-written forward must be the network's");
            }
        }
        Assert.Equal(["layer1.0.bn1", "layer1.0.bn2", "layer2.0.bn1", "layer2.0.bn2", "layer3.0.bn1", "layer3.0.bn2"], measured.Layers);
        for (var i = 0; i < measured.Layers.Count; i++)
        {
            var all = cat(kept[measured.Layers[i]].Select(t => t.flatten()).ToArray());
            var expected = all.std(unbiased: false).item<double>();
            Assert.Equal(expected, measured.Stds[i], 1e-5);
        }
        Assert.Equal(measured.Stds.OrderByDescending(s => s), measured.Sorted);
    }

    [Fact]
    public void Should_Restore_Training_Mode_And_Leave_The_Weights_And_Statistics_Alone()
    {
        // Given a net in training mode
        using var net = TinyNet();
        net.train();
        var before = net.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        // When responses are measured
        LayerResponses.Measure(net, Inputs());

        // Then it is in training mode again, no BN keeps a forward hook, and BN running statistics did not move (eval mode was used)
        Assert.True(net.training);
        Assert.All(net.modules().OfType<BatchNorm2d>(), bn => Assert.Empty(ForwardHooks(bn)));
        foreach (var (key, value) in net.state_dict()) Assert.True(before[key].allclose(value, rtol: 0, atol: 0), key);
    }

    [Fact]
    public void Should_Refuse_A_Pre_Activation_Net()
    {
        using var net = ModelZoo.Create("preact-resnet110-basic");

        var error = Assert.Throws<ArgumentException>(() => LayerResponses.Measure(net, Inputs()));

        Assert.Contains("pre-activation", error.Message);
    }

    // TorchSharp keeps a module's forward hooks in HookableModule.post_hooks, which has no public reader.
    static System.Collections.IDictionary ForwardHooks(nn.Module module)
    {
        for (var type = module.GetType(); type is not null; type = type.BaseType)
        {
            if (type.GetField("post_hooks", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is { } field)
                return (System.Collections.IDictionary)field.GetValue(module)!;
        }
        throw new InvalidOperationException("TorchSharp no longer keeps forward hooks in 'post_hooks'; update this test.");
    }
}
