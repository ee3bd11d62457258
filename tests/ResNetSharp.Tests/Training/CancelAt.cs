using ResNetSharp.Training;

namespace ResNetSharp.Tests.Training;

/// <summary>Asks a run to stop (as Ctrl-C does) once iteration <c>iteration</c> has been stepped.</summary>
sealed class CancelAt(long iteration, CancellationTokenSource cancel) : ITrainingObserver
{
    public void Stepped(long i, double loss, double learningRate)
    {
        if (i + 1 == iteration) cancel.Cancel();
    }
}
