namespace ResNetSharp.Training;

/// <summary>Shapes of the learning-rate schedule.</summary>
public enum ScheduleKind
{
    /// <summary>Divide by <see cref="TrainingConfig.Gamma"/> at each milestone iteration (paper, CIFAR: 32k and 48k).</summary>
    Step,

    /// <summary>Divide by <see cref="TrainingConfig.Gamma"/> when the validation error stops improving (paper, ImageNet).</summary>
    Plateau,

    /// <summary>Cosine decay from the peak to zero over the run.</summary>
    Cosine,

    /// <summary>Linear rise to the peak over the first 30% (or the warm-up), then cosine to near zero.</summary>
    OneCycle,
}

/// <summary>
/// The learning rate at every iteration. Pure in the iteration, except for the two rules the paper
/// states in terms of training progress, whose state is <see cref="ScheduleState"/> (saved in checkpoints):
/// the ResNet-110 warm-up "0.01 until the training error is below 80%" (section 4.2) and ImageNet's
/// "divide by 10 when the error plateaus" (section 3.4).
/// </summary>
public sealed class LearningRateSchedule(TrainingConfig config, int depth)
{
    /// <summary>Training errors of the last iterations the paper's warm-up rule looks at.</summary>
    public const int WarmupWindow = 20;

    /// <summary>Whether the paper's warm-up rule is on for this network (deep enough and a warm-up rate given).</summary>
    public bool PaperWarmupApplies { get; } = config.PaperWarmupLearningRate is not null && depth >= config.PaperWarmupMinDepth;

    /// <summary>Progress-dependent state.</summary>
    public ScheduleState State { get; set; } = new();

    /// <summary>The learning rate for iteration <paramref name="iteration"/> (0-based).</summary>
    public double At(long iteration)
    {
        var peak = config.LearningRate;
        if (PaperWarmupApplies && !State.PaperWarmupDone) return config.PaperWarmupLearningRate!.Value;
        if (config.WarmupIterations > 0 && iteration < config.WarmupIterations)
            return peak * (iteration + 1) / config.WarmupIterations;
        var total = Math.Max(1, config.Iterations);
        switch (config.Schedule)
        {
            case ScheduleKind.Step:
                return peak * Math.Pow(config.Gamma, config.Milestones.Count(m => iteration >= m));
            case ScheduleKind.Plateau:
                return peak * Math.Pow(config.Gamma, State.PlateauDrops);
            case ScheduleKind.Cosine:
                {
                    var start = config.WarmupIterations;
                    var t = Math.Clamp((iteration - start) / (double)Math.Max(1, total - start), 0, 1);
                    return peak * 0.5 * (1 + Math.Cos(Math.PI * t));
                }
            case ScheduleKind.OneCycle:
                {
                    var rise = config.WarmupIterations > 0 ? config.WarmupIterations : (int)(0.3 * total);
                    if (iteration < rise) return peak * (0.04 + 0.96 * iteration / Math.Max(1, rise));
                    var t = Math.Clamp((iteration - rise) / (double)Math.Max(1, total - rise), 0, 1);
                    return peak * (1e-4 + (1 - 1e-4) * 0.5 * (1 + Math.Cos(Math.PI * t)));
                }
            default:
                throw new InvalidOperationException($"Unknown schedule {config.Schedule}.");
        }
    }

    /// <summary>Feeds one iteration's training error to the paper's warm-up rule.</summary>
    public void ObserveTrainingError(double error)
    {
        if (!PaperWarmupApplies || State.PaperWarmupDone) return;
        var recent = State.RecentErrors.Append(error).TakeLast(WarmupWindow).ToArray();
        State = State with { RecentErrors = recent };
        if (recent.Length == WarmupWindow && recent.Average() < config.PaperWarmupUntilError)
            State = State with { PaperWarmupDone = true, RecentErrors = [] };
    }

    /// <summary>Feeds one validation error to the plateau rule; returns true when it divided the rate.</summary>
    public bool ObserveValidationError(double error)
    {
        if (config.Schedule != ScheduleKind.Plateau) return false;
        if (error < State.BestValidationError - config.PlateauThreshold)
        {
            State = State with { BestValidationError = error, EvaluationsWithoutImprovement = 0 };
            return false;
        }
        var stale = State.EvaluationsWithoutImprovement + 1;
        if (stale < config.PlateauPatience)
        {
            State = State with { EvaluationsWithoutImprovement = stale };
            return false;
        }
        State = State with { PlateauDrops = State.PlateauDrops + 1, EvaluationsWithoutImprovement = 0, BestValidationError = error };
        return true;
    }
}

/// <summary>The progress-dependent part of a schedule, saved in checkpoints so a resumed run continues exactly.</summary>
public sealed record ScheduleState
{
    /// <summary>The paper's warm-up rule has fired (training error fell below the threshold).</summary>
    public bool PaperWarmupDone { get; init; }

    /// <summary>The last training errors the warm-up rule averages.</summary>
    public double[] RecentErrors { get; init; } = [];

    /// <summary>Best validation error seen by the plateau rule.</summary>
    public double BestValidationError { get; init; } = double.PositiveInfinity;

    /// <summary>Evaluations since the best.</summary>
    public int EvaluationsWithoutImprovement { get; init; }

    /// <summary>Times the plateau rule divided the rate.</summary>
    public int PlateauDrops { get; init; }
}
