using System.CommandLine;
using ResNetSharp.Cli.Commands;
using Spectre.Console;

// Tables piped to a file or another program keep their columns instead of wrapping at 80.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("ResNetSharp: the deep residual networks of He et al. (CVPR 2016) in .NET — build, train, evaluate, reproduce, deploy.");
root.Options.Add(CommonOptions.Threads);
root.Options.Add(CommonOptions.Verbose);
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ReleaseCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && args.Length > 0 && !args.Any(a => a is "--help" or "-h" or "-?"))
{
    // one line and exit 2, not the whole help text
    var command = string.Join(' ', parse.CommandResult.Command.Name == root.Name ? ["resnet"] : new[] { "resnet", parse.CommandResult.Command.Name });
    Console.Error.WriteLine($"error: {parse.Errors[0].Message} (see '{command} --help')");
    return ResNetSharp.Cli.ExitCodes.UserError;
}
try
{
    return parse.Invoke();
}
catch (Exception e)
{
    return CommonOptions.Fail(e, parse.GetValue(CommonOptions.Verbose));
}
