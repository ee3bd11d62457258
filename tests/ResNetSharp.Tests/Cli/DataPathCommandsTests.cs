namespace ResNetSharp.Tests.Cli;

public sealed class DataPathCommandsTests
{
    [Fact]
    public void Should_Say_A_Missing_Archive_Was_Not_Found()
    {
        // Given a .tar.gz name that does not exist
        // When train is given it
        var result = CliRunner.Run("train", "--data", "/nonexistent/cifar-10-jpeg.tar.gz", "--iterations", "1");

        // Then it fails in one line saying the path was not found (not "is neither ... nor a .tar.gz")
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'/nonexistent/cifar-10-jpeg.tar.gz' was not found", result.Stderr);
        Assert.DoesNotContain("is neither", result.Stderr);
    }

    [Fact]
    public void Should_Refuse_A_Data_Dir_That_Does_Not_Exist_Instead_Of_Using_The_Sample()
    {
        // Given a CIFAR folder that does not exist
        // When train is given it
        var result = CliRunner.Run("train", "--data", "cifar10", "--data-dir", "/nonexistent/cifar", "--iterations", "1");

        // Then it is an error, not a silent fall-back to the embedded sample
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--data-dir '/nonexistent/cifar' was not found", result.Stderr);
        Assert.DoesNotContain("embedded", result.Stdout);
    }
}
