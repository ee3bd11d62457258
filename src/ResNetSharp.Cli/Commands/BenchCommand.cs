using System.CommandLine;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using ResNetSharp.Benchmarks;
using Spectre.Console;
using TorchSharp;

namespace ResNetSharp.Cli.Commands;

/// <summary><c>resnet bench [--json] [--repeat N] [--only training|inference|data|memory|peak] [--no-channels-last]</c>.</summary>
static class BenchCommand
{
    public static Command Create()
    {
        var repeat = new Option<int>("--repeat") { Description = "Measure each figure N times; min and median are shown.", DefaultValueFactory = _ => 3 };
        var only = new Option<string[]>("--only")
        {
            Description = "Only these parts: training, inference, data, memory, peak (repeatable or comma-separated); or scaling (1 process vs 2 MPI ranks, alone).",
            AllowMultipleArgumentsPerToken = true,
        };
        var networks = new Option<string?>("--networks") { Description = "Only these networks in training and inference (comma-separated: resnet20, resnet56, resnet18, resnet50)." };
        var noChannelsLast = new Option<bool>("--no-channels-last") { Description = "Measure our paths in the plain NCHW layout." };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Least time of one training or inference sample (whole steps or batches; training takes twice this).",
            DefaultValueFactory = _ => 0.5,
        };
        var command = new Command("bench", "Measure training and inference speed against a plain TorchSharp loop and ONNX Runtime, the data loader, memory growth and the matmul peak.")
        {
            repeat, only, networks, noChannelsLast, seconds, CommonOptions.Json,
        };
        command.SetAction(parse => CommonOptions.Run(parse, () =>
        {
            var json = parse.GetValue(CommonOptions.Json);
            if (ScalingBench.Requested(parse.GetValue(only) ?? [])) return ScalingBench.Run(json); // spawns mpirun: asked for alone
            var sections = Sections(parse.GetValue(only) ?? []);
            var options = new BenchmarkOptions
            {
                Repeat = parse.GetValue(repeat),
                SampleSeconds = parse.GetValue(seconds) is > 0 and var s ? s : throw new ArgumentException("--seconds must be above 0."),
                Sections = sections,
                ChannelsLast = !parse.GetValue(noChannelsLast),
                Onnx = new OnnxRuntimeRunner(torch.get_num_threads()),
                Networks = parse.GetValue(networks)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            var result = PerformanceBenchmark.Run(options, json ? null : f => Console.Error.WriteLine($"  {f.Section}: {f.Name} {Format(f.Median)} {f.Unit}"));
            if (json)
            {
                CommonOptions.WriteJson(new
                {
                    result.Cpu,
                    result.Threads,
                    result.AllocatorTuned,
                    Figures = result.Figures.Select(f => new { f.Section, f.Name, f.Unit, f.Min, f.Median, f.Samples, f.Note }),
                });
                return 0;
            }
            AnsiConsole.MarkupLine(Markup.Escape($"{result.Cpu}; {result.Threads} threads; allocator tuned: {result.AllocatorTuned}; {options.Repeat} repeats"));
            var table = new Table().Border(TableBorder.Rounded).AddColumns("section", "figure", "min", "median", "unit", "note");
            foreach (var f in result.Figures)
                table.AddRow(f.Section, Markup.Escape(f.Name), Format(f.Min), Format(f.Median), f.Unit, Markup.Escape(f.Note));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    static string Format(double v) => v.ToString(Math.Abs(v) >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture);

    static BenchmarkSections Sections(string[] names)
    {
        var parts = names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (parts.Length == 0) return BenchmarkSections.All;
        var result = BenchmarkSections.None;
        foreach (var p in parts)
        {
            if (!Enum.TryParse<BenchmarkSections>(p, ignoreCase: true, out var s) || s is BenchmarkSections.None or BenchmarkSections.All)
                throw new ArgumentException($"Unknown benchmark part '{p}'. Choose from training, inference, data, memory, peak, or scaling alone.");
            result |= s;
        }
        return result;
    }

    /// <summary>
    /// ONNX Runtime on the CPU with as many intra-op threads as libtorch, all graph optimisations on, run the fastest plain
    /// way: input and output buffers allocated once and bound as OrtValues, only the logits asked for.
    /// </summary>
    sealed class OnnxRuntimeRunner(int threads) : IOnnxRunner
    {
        public string Name => "ONNX Runtime";

        public IDisposable Prepare(byte[] model, int batch, int size, out Action run)
        {
            var owner = new Owner { Options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL } };
            owner.Session = new InferenceSession(model, owner.Options);
            var input = owner.Session.InputMetadata.Keys.First();
            var (output, meta) = owner.Session.OutputMetadata.First();
            var classes = meta.Dimensions[^1];
            owner.Input = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, batch * 3 * size * size).Select(i => (float)Math.Sin(i)).ToArray(), [batch, 3, size, size]);
            owner.Output = OrtValue.CreateTensorValueFromMemory(new float[batch * classes], [batch, classes]);
            string[] inputs = [input], outputs = [output];
            OrtValue[] inputValues = [owner.Input], outputValues = [owner.Output];
            run = () => owner.Session.Run(owner.RunOptions, inputs, inputValues, outputs, outputValues);
            return owner;
        }

        sealed class Owner : IDisposable
        {
            public SessionOptions Options = null!;
            public InferenceSession Session = null!;
            public OrtValue Input = null!, Output = null!;
            public RunOptions RunOptions { get; } = new();

            public void Dispose()
            {
                Session.Dispose();
                Options.Dispose();
                Input?.Dispose();
                Output?.Dispose();
                RunOptions.Dispose();
            }
        }
    }
}
