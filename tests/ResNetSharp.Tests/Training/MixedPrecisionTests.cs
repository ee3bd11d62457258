using ResNetSharp.Data;
using ResNetSharp.Inference;
using ResNetSharp.Models;
using ResNetSharp.Runtime;
using ResNetSharp.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Training;

[Collection(SeededCollection.Name)]
public sealed class MixedPrecisionTests
{
    // bf16 keeps 8 significant bits (relative rounding 2^-9): through one unit per stage logits move by well under 1%.
    // Gradients through training-mode BN are far more sensitive (BN's backward subtracts means that nearly cancel): fp32
    // itself moves them by 10-20% when the input gets bf16-sized noise, so bf16 is held to that yardstick, with the
    // same factor the auto probe uses. A wrong kernel or a lost cast is off by 100% or more.
    const double LogitTolerance = 0.02;

    static string RunFolder() => Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "run-" + Guid.NewGuid().ToString("n"));

    public static TheoryData<string> Units => ["basic-a", "basic-b", "basic-c", "bottleneck-b", "preact-basic-b", "preact-bottleneck-c"];

    static NetworkSpec Spec(string unit) => unit switch
    {
        "basic-a" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.A },
        "basic-b" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.B },
        "basic-c" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.C },
        "bottleneck-b" => ModelZoo.Cifar(1, BlockKind.Bottleneck) with { Shortcut = ShortcutOption.B },
        "preact-basic-b" => ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.B, PreActivation = true },
        "preact-bottleneck-c" => ModelZoo.Cifar(1, BlockKind.Bottleneck) with { Shortcut = ShortcutOption.C, PreActivation = true },
        _ => throw new ArgumentException(unit),
    };

    static double Relative(Tensor reference, Tensor value) => ((value.to(ScalarType.Float32) - reference).norm() / reference.norm()).item<float>();

    [Theory]
    [MemberData(nameof(Units))]
    public void Should_Match_Fp32_Within_Bf16_Tolerance_In_Forward_And_Backward(string unit)
    {
        // Given a network of one unit per stage of this kind and its fp32 logits, input gradient and weight gradients
        manual_seed(11);
        using var model = new ResNet(Spec(unit));
        model.train();
        using var scope = NewDisposeScope();
        var x = randn(8, 3, 16, 16);
        var labels = randint(0, 10, 8);
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        (Tensor Logits, Tensor InputGrad, Dictionary<string, Tensor> Grads) Run(Tensor batch)
        {
            model.zero_grad();
            var input = batch.detach().requires_grad_(true);
            var logits = model.call(input);
            nn.functional.cross_entropy(logits, labels).backward();
            var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
            using (no_grad())
                foreach (var (key, value) in model.state_dict()) value.copy_(state[key]);
            return (logits.detach(), input.grad!.clone(), grads);
        }
        var fp32 = Run(x);
        var noisy = Run(x * (1 + Math.Pow(2, -8) * randn_like(x)));

        // When the same batch runs with bf16 compute, watching the 3x3 responses
        var responseTypes = new HashSet<ScalarType>();
        var hooks = model.named_modules()
            .Where(m => m.module is TorchSharp.Modules.BatchNorm2d && m.name.StartsWith("layer", StringComparison.Ordinal) && m.name.Split('.')[^1] is "bn1" or "bn2")
            .Select(m => ((TorchSharp.torch.nn.Module<Tensor, Tensor>)m.module).register_forward_hook((_, _, output) =>
            {
                responseTypes.Add(output.dtype);
                return output;
            }))
            .ToList();
        model.Precision = Precision.Bf16;
        var bf16 = Run(x);
        foreach (var hook in hooks) hook.remove();

        // Then the convolutions really ran in bf16 (responses are bf16, results not bit-identical), logits come out fp32,
        // every gradient reaches the fp32 weights as fp32, and all agree with fp32 within bf16's tolerance
        if (!Spec(unit).PreActivation) Assert.Equal([ScalarType.BFloat16], responseTypes);
        Assert.Equal(ScalarType.Float32, bf16.Logits.dtype);
        Assert.False(bf16.Logits.equal(fp32.Logits).all().item<bool>());
        var logitError = Relative(fp32.Logits, bf16.Logits);
        Assert.True(logitError < LogitTolerance, $"logits differ by {logitError:G3}");
        Tensor All(Dictionary<string, Tensor> grads) => cat(grads.Values.Select(g => g.flatten()).ToArray());
        var inputError = Relative(fp32.InputGrad, bf16.InputGrad);
        var inputYardstick = PrecisionPolicy.SensitivityFactor * Relative(fp32.InputGrad, noisy.InputGrad);
        var gradError = Relative(All(fp32.Grads), All(bf16.Grads));
        var gradYardstick = PrecisionPolicy.SensitivityFactor * Relative(All(fp32.Grads), All(noisy.Grads));
        Assert.All(bf16.Grads.Values, g => Assert.Equal(ScalarType.Float32, g.dtype));
        Assert.True(inputError < inputYardstick, $"input gradient differs by {inputError:G3}, allowed {inputYardstick:G3}");
        Assert.True(gradError < gradYardstick, $"weight gradients differ by {gradError:G3}, allowed {gradYardstick:G3}");
    }

    [Fact]
    public void Should_Keep_Master_Weights_Momentum_And_BN_Statistics_In_Fp32()
    {
        // Given a bf16 network with channels-last weights and its optimiser
        manual_seed(5);
        using var model = new ResNet(ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.B });
        model.train();
        ChannelsLast.TryApply(model, 16, CPU);
        model.Precision = Precision.Bf16;
        using var sgd = new Sgd(model.named_parameters(), 0.05, 0.9, 1e-4);
        using var scope = NewDisposeScope();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var x = ChannelsLast.Of(randn(8, 3, 16, 16));
        var labels = randint(0, 10, 8);

        // When it takes three steps
        var losses = Enumerable.Range(0, 3).Select(_ => TrainingRun.Step(model, sgd, x, labels, 0).Loss).ToArray();

        // Then every weight, BN statistic and momentum buffer is still fp32, and the steps moved them
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        foreach (var (key, value) in model.state_dict().Where(kv => kv.Value.is_floating_point()))
        {
            Assert.Equal(ScalarType.Float32, value.dtype);
            Assert.False(value.equal(before[key]).all().item<bool>(), $"{key} did not move");
        }
        Assert.NotEmpty(sgd.State);
        Assert.All(sgd.State.Values, v => Assert.Equal(ScalarType.Float32, v.dtype));
    }

    [Fact]
    public void Should_Resume_Across_Precisions_With_Fp32_Checkpoints()
    {
        // Given a tiny run in fp32 and its uninterrupted twin
        using var data = new TinyData(size: 16);
        var config = data.Config(12);
        var whole = TrainingRun.Run(config, RunFolder());

        // When it stops after 4 iterations, resumes in bf16 until 8, then in fp32 to the end
        var split = RunFolder();
        using (var cancel = new CancellationTokenSource())
            Assert.True(TrainingRun.Run(config, split, new CancelAt(4, cancel), cancel.Token).Interrupted);
        using (var cancel = new CancellationTokenSource())
            Assert.True(TrainingRun.Resume(split, new CancelAt(8, cancel), cancel.Token, Precision.Bf16).Interrupted);
        Precision middle;
        using (var checkpoint = Checkpoint.Load(Path.Combine(split, ResNetSharp.Training.RunFolder.LatestFile)))
        {
            middle = checkpoint.Config.Precision;
            Assert.Equal(8, checkpoint.Progress.Iteration);
            Assert.All(checkpoint.ModelState.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
            Assert.All(checkpoint.Momentum.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        }
        var resumed = TrainingRun.Resume(split, precision: Precision.Fp32);

        // Then the bf16 segment was recorded and computed in bf16 (the end differs from the all-fp32 twin, slightly),
        // and the run finished in fp32 with fp32 weights and momentum
        Assert.Equal(Precision.Bf16, middle);
        Assert.False(resumed.Interrupted);
        using var a = Checkpoint.Load(whole.LatestCheckpoint);
        using var b = Checkpoint.Load(resumed.LatestCheckpoint);
        Assert.Equal(Precision.Fp32, b.Config.Precision);
        Assert.Equal(12, b.Progress.Iteration);
        var weights = a.ModelState.Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).ToArray();
        Assert.Contains(weights, k => !a.ModelState[k].equal(b.ModelState[k]).all().item<bool>());
        foreach (var key in weights)
        {
            Assert.Equal(ScalarType.Float32, b.ModelState[key].dtype);
            var drift = Relative(a.ModelState[key], b.ModelState[key]);
            Assert.True(drift < 0.1, $"{key} drifted {drift:G3} from the fp32 run");
        }
    }

    static CpuFeatures Cpu(bool nativeBf16) => new("test CPU", true, nativeBf16, nativeBf16, false);

    [Theory]
    [InlineData(100, 80, 0.01, 0, Precision.Fp32, "0.80x")] // slower: fp32
    [InlineData(100, 102, 0.01, 0, Precision.Fp32, "1.02x")] // a tie is not worth bf16
    [InlineData(100, 250, 0.3, 0.02, Precision.Fp32, "correctness")] // fast but wrong
    [InlineData(100, 250, 0.3, 0.2, Precision.Bf16, "2.50x")] // gradients that sensitive in fp32 too
    [InlineData(100, 250, 0.01, 0, Precision.Bf16, "2.50x")]
    public void Should_Choose_Bf16_Under_Auto_Only_When_The_Probe_Finds_It_Faster_And_Correct(double fp32, double bf16, double error, double sensitivity,
        Precision expected, string reason)
    {
        // Given a CPU with native bf16 and an injected probe result
        var probe = new PrecisionProbe(fp32, bf16, error, sensitivity);

        // When auto is resolved
        var choice = PrecisionPolicy.Resolve(Precision.Auto, Cpu(nativeBf16: true), () => probe);

        // Then the probe decides, and the reason says why
        Assert.Equal(expected, choice.Precision);
        Assert.Contains(reason, choice.Reason);
    }

    [Fact]
    public void Should_Not_Probe_Without_Native_Bf16_And_Take_Explicit_Requests_As_Given()
    {
        // Given a CPU without native bf16 and a probe that would say bf16 is fast
        var probed = 0;
        PrecisionProbe Probe()
        {
            probed++;
            return new PrecisionProbe(1, 10, 0);
        }

        // When auto, fp32 and bf16 are resolved
        var auto = PrecisionPolicy.Resolve(Precision.Auto, Cpu(nativeBf16: false), Probe);
        var fp32 = PrecisionPolicy.Resolve(Precision.Fp32, Cpu(nativeBf16: true), Probe);
        var bf16 = PrecisionPolicy.Resolve(Precision.Bf16, Cpu(nativeBf16: false), Probe);

        // Then auto is fp32 without measuring, and explicit requests stand (emulated bf16 says so)
        Assert.Equal(Precision.Fp32, auto.Precision);
        Assert.Contains("no native bf16", auto.Reason);
        Assert.Equal(Precision.Fp32, fp32.Precision);
        Assert.Equal(Precision.Bf16, bf16.Precision);
        Assert.Contains("emulates", bf16.Reason);
        Assert.Equal(0, probed);
    }

    [Fact]
    public void Should_Reuse_A_Cached_Probe_For_The_Same_CPU_And_Network()
    {
        // Given an auto choice for a tiny network whose probe was measured and cached
        var cache = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", Guid.NewGuid().ToString("n"), "probes.json");
        var spec = ModelZoo.Cifar(1);
        var first = PrecisionPolicy.For(Precision.Auto, spec, training: true, 4, 8, channelsLast: false, CPU, cache);
        if (!CpuFeatures.Current.NativeBf16)
        {
            // without native bf16 nothing is measured or cached
            Assert.Equal(Precision.Fp32, first.Precision);
            Assert.False(File.Exists(cache));
            return;
        }

        // When the cached figures are replaced by a slow bf16 and auto is resolved again
        var text = File.ReadAllText(cache);
        var entries = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, PrecisionProbe>>(text)!;
        Assert.Single(entries);
        var key = entries.Keys.Single();
        File.WriteAllText(cache, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, PrecisionProbe> { [key] = new(100, 50, 0.001) }));
        var second = PrecisionPolicy.For(Precision.Auto, spec, training: true, 4, 8, channelsLast: false, CPU, cache);

        // Then the second decision read the cache (no new measurement) and fell back to fp32
        Assert.Contains("training", key);
        Assert.Equal(Precision.Fp32, second.Precision);
        Assert.Contains("0.50x", second.Reason);
    }

    [Fact]
    public void Should_Classify_In_Bf16_As_In_Fp32_Through_The_Classifier_Api()
    {
        // Given a classifier over a network with trained-looking (non-initial) BN statistics, and a few random images
        manual_seed(9);
        var model = new ResNet(ModelZoo.Cifar(1) with { Shortcut = ShortcutOption.B });
        using (no_grad())
            foreach (var (_, buffer) in model.named_buffers().Where(b => b.name.EndsWith("running_var", StringComparison.Ordinal))) buffer.uniform_(0.5, 2);
        using var classifier = new ImageClassifier(model, [.. Enumerable.Range(0, 10).Select(i => $"c{i}")], Normalization.None, 32);
        var random = new Random(4);
        var images = Enumerable.Range(0, 6).Select(_ =>
        {
            var pixels = new byte[32 * 32 * 3];
            random.NextBytes(pixels);
            return new RgbImage(32, 32, pixels);
        }).ToArray();
        var fp32 = classifier.Classify(images, topK: 10);
        var fp32Features = classifier.Features(images);

        // When it is switched to bf16 and classifies the same images
        var choice = classifier.UsePrecision(Precision.Bf16);
        var bf16 = classifier.Classify(images, topK: 10);
        var bf16Features = classifier.Features(images);

        // Then it says bf16, features stay fp32-sized floats close to fp32's, and every class probability is within 0.02
        Assert.Equal(Precision.Bf16, choice.Precision);
        Assert.Equal(Precision.Bf16, classifier.ComputePrecision.Precision);
        for (var i = 0; i < images.Length; i++)
        {
            var reference = fp32[i].ToDictionary(s => s.Label, s => s.Probability);
            Assert.All(bf16[i], s => Assert.InRange(s.Probability, reference[s.Label] - 0.02, reference[s.Label] + 0.02));
            var norm = Math.Sqrt(fp32Features[i].Sum(v => (double)v * v));
            var diff = Math.Sqrt(fp32Features[i].Zip(bf16Features[i], (a, b) => (double)(a - b) * (a - b)).Sum());
            Assert.True(diff / norm < LogitTolerance, $"features of image {i} differ by {diff / norm:G3}");
        }
        Assert.Contains(Enumerable.Range(0, images.Length), i => !fp32Features[i].SequenceEqual(bf16Features[i]));
    }
}
