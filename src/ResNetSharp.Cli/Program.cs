using System.CommandLine;
using ResNetSharp.Cli.Commands;
using Spectre.Console;

// Tables piped to a file or another program keep their columns instead of wrapping at 80.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("ResNetSharp: the deep residual networks of He et al. (CVPR 2016) in .NET — build, train, evaluate, reproduce, deploy.");
root.Options.Add(CommonOptions.Threads);
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
