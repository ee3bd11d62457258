using ResNetSharp.Models;

namespace ResNetSharp.Tests.Models;

public sealed class ModelSummaryTests
{
    [Theory] // Table 1 FLOPs row: within 2% of the paper's loosely rounded figures
    [InlineData("resnet18-a", 1.8)]
    [InlineData("resnet34-a", 3.6)]
    [InlineData("resnet50", 3.8)]
    [InlineData("resnet101", 7.6)]
    [InlineData("resnet152", 11.3)]
    public void Should_Count_The_Multiply_Adds_Of_Table_1(string name, double giga)
    {
        using var net = ModelZoo.Create(name);

        var summary = ModelSummary.Of(net);

        Assert.InRange(summary.MultiplyAdds / 1e9, giga * 0.98, giga * 1.02);
        Assert.Equal(net.ParameterCount, summary.Parameters);
    }

    [Fact]
    public void Should_Count_Plain_34_Like_ResNet_34_With_Option_A()
    {
        using var plain = ModelZoo.Create("plain-34");
        using var residual = ModelZoo.Create("resnet34-a");

        Assert.Equal(ModelSummary.Of(residual).MultiplyAdds, ModelSummary.Of(plain).MultiplyAdds);
    }

    [Fact]
    public void Should_Group_Layers_Into_The_Stages_Of_Table_1()
    {
        using var net = ModelZoo.Create("resnet34");

        var summary = ModelSummary.Of(net);

        Assert.Equal(["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "head"], summary.Stages.Select(s => s.Stage));
        Assert.Equal([64L, 112, 112], summary.Stages[0].OutputShape);
        Assert.Equal([64L, 56, 56], summary.Stages[1].OutputShape);
        Assert.Equal([512L, 7, 7], summary.Stages[4].OutputShape);
        Assert.Equal([1000L], summary.Stages[5].OutputShape);
        Assert.Equal(summary.Parameters, summary.Stages.Sum(s => s.Parameters));
    }

    [Fact]
    public void Should_Count_A_Cifar_Conv_By_Hand()
    {
        using var net = ModelZoo.Create("resnet20");

        var conv1 = ModelSummary.Of(net).Layers.Single(l => l.Name == "conv1");

        // 3x3x3 kernel, 16 filters, 32x32 outputs
        Assert.Equal(16L * 32 * 32 * 27, conv1.MultiplyAdds);
        Assert.Equal(16L * 27, conv1.Parameters);
    }
}

public sealed class NetworkCostTests
{
    public static TheoryData<string> AllNames() => [.. ModelZoo.Names];

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Should_Agree_With_The_Measured_Network(string name)
    {
        // Given the description alone and the built network measured layer by layer
        using var net = ModelZoo.Create(name);
        var measured = ModelSummary.Of(net);

        // When the cost is computed from the description
        var (parameters, macs) = NetworkCost.Of(net.Spec);

        // Then both ways count the same
        Assert.Equal(measured.Parameters, parameters);
        Assert.Equal(measured.MultiplyAdds, macs);
    }

    [Theory]
    [InlineData("resnet34-c", 112)]
    [InlineData("resnet50-v1.5", 100)]
    [InlineData("resnet56", 33)]
    public void Should_Agree_At_Other_Input_Sizes(string name, int input)
    {
        using var net = ModelZoo.Create(name);

        Assert.Equal(ModelSummary.Of(net, input).MultiplyAdds, NetworkCost.Of(net.Spec, input).MultiplyAdds);
    }
}
