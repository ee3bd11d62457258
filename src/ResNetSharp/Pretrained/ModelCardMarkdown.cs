using System.Globalization;
using System.Text;
using ResNetSharp.Runtime;

namespace ResNetSharp.Pretrained;

/// <summary>MODEL_CARD.md: the model card for people, written from the same <see cref="ModelCard"/> as card.json.</summary>
public static class ModelCardMarkdown
{
    /// <summary>The Markdown text of <paramref name="card"/>.</summary>
    public static string Write(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var c = CultureInfo.InvariantCulture;
        string Pct(double fraction) => (fraction * 100).ToString("0.00", c) + "%";
        var md = new StringBuilder();
        md.AppendLine(c, $"# {card.Name}");
        md.AppendLine();
        md.AppendLine(c, $"{card.Description}, {card.Parameters:N0} parameters, trained on {card.Dataset} with the `{card.Recipe}` recipe of ResNetSharp.");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("| protocol | test images | top-1 error | top-5 error | paper |");
        md.AppendLine("|---|---|---|---|---|");
        var paper = card.PaperTop1Error is { } p ? $"{p.ToString("0.00", c)}% (Table 6, single view)" : "—";
        md.AppendLine(c, $"| {card.SingleView.Protocol} | {card.SingleView.Images:N0} | **{Pct(card.SingleView.Top1Error)}** | {Pct(card.SingleView.Top5Error)} | {paper} |");
        md.AppendLine(c, $"| {card.FlipAveraged.Protocol} (not the paper's) | {card.FlipAveraged.Images:N0} | {Pct(card.FlipAveraged.Top1Error)} | {Pct(card.FlipAveraged.Top5Error)} | — |");
        md.AppendLine();
        md.AppendLine(c, $"Test data: {card.SingleView.Data}.");
        if (card.EvaluatedOnSample) md.AppendLine("**These errors are on the small embedded CIFAR-10 sample, not on a full test set.**");
        if (card.Sample is { } s)
        {
            md.AppendLine();
            md.AppendLine(c, $"On the {s.Images:N0} test images of the CIFAR-10 sample embedded in ResNetSharp ({s.Protocol}): {s.Correct:N0} correct, " +
                             $"accuracy {Pct(s.Accuracy)} (binomial standard error {Pct(s.StandardError)}). The project's tests check every shipped network against this number.");
        }
        if (card.Notes is { } notes)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            md.AppendLine(notes);
        }
        md.AppendLine();
        md.AppendLine("![training curve: train error thin, test error bold](curve.png)");
        md.AppendLine();
        md.AppendLine("## Training");
        md.AppendLine();
        md.AppendLine("```bash");
        md.AppendLine(card.Command);
        md.AppendLine("```");
        md.AppendLine();
        var cfg = card.Config;
        md.AppendLine(c, $"- recipe `{card.Recipe}`: SGD, batch {cfg.BatchSize}, momentum {cfg.Momentum.ToString(c)}, weight decay {cfg.WeightDecay.ToString(c)}, " +
                         $"learning rate {cfg.LearningRate.ToString(c)} ({cfg.Schedule}{(cfg.Milestones.Count > 0 ? $", ÷{(1 / cfg.Gamma).ToString("0.#", c)} at {string.Join(", ", cfg.Milestones.Select(m => m.ToString("N0", c)))}" : "")}), " +
                         $"augmentation `{NamedEnum.Name(cfg.Augmentation)}`, normalisation `{NamedEnum.Name(cfg.Normalization)}`");
        md.AppendLine(c, $"- seed {card.Seed}, {card.Iterations:N0} iterations ({card.Epochs.ToString("0.##", c)} epochs), {(card.TrainingSeconds / 3600).ToString("0.00", c)} hours of training");
        md.AppendLine(c, $"- released from the run's `{card.Checkpoint}`; the resolved configuration is `config.json` (`resnet train --config config.json` repeats it exactly); metrics per logged iteration are in `metrics.csv`");
        md.AppendLine();
        md.AppendLine("## Preprocessing (part of the model)");
        md.AppendLine();
        var pre = card.Preprocessing;
        md.AppendLine(c, $"{pre.ChannelOrder} pixels × {pre.Scale.ToString("G6", c)}, minus the {pre.Mean} mean [{string.Join(", ", pre.MeanShape)}] " +
                         $"(per channel on average: {string.Join(", ", pre.ChannelMeans.Select(m => m.ToString("0.####", c)))}), divided by [{string.Join(", ", pre.Std.Select(v => v.ToString("G4", c)))}]; " +
                         $"input {pre.InputSize}x{pre.InputSize}, test view: {pre.View}. The full mean is in {pre.Where}.");
        md.AppendLine();
        md.AppendLine(c, $"Classes, in label order: {string.Join(", ", card.Classes)}.");
        md.AppendLine();
        md.AppendLine("## Files");
        md.AppendLine();
        md.AppendLine(c, $"`{card.Weights.File}`: {card.Weights.Tensors} tensors (weights and BN running statistics, fp32, torchvision names, no optimiser state), " +
                         $"{card.Weights.Bytes:N0} bytes, SHA-256 `{card.Weights.Sha256}` (checked on every load).");
        md.AppendLine();
        md.AppendLine("## Use");
        md.AppendLine();
        md.AppendLine("```bash");
        md.AppendLine(c, $"resnet predict --pretrained {card.Name} image.jpg");
        md.AppendLine(c, $"resnet eval --pretrained {card.Name} --data cifar-10-jpeg.tar.gz --protocol single");
        md.AppendLine(c, $"resnet export --pretrained {card.Name} --out {card.Name}.onnx");
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("```csharp");
        md.AppendLine(c, $"var pretrained = ModelZoo.Pretrained(\"{card.Network}\", \"{card.Dataset}\");   // SHA-256 verified");
        md.AppendLine("using var classifier = pretrained.CreateClassifier();");
        md.AppendLine("var predictions = classifier.ClassifyFiles([\"image.jpg\"]);");
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(c, $"Released {card.Released} with {card.Tool}.");
        return md.ToString();
    }
}
