using ResNetSharp.Interop;

namespace ResNetSharp.Tests.Cli;

public sealed class ExportCommandTests
{
    [Fact]
    public void Should_Write_An_Onnx_File_That_Imports_Back()
    {
        // Given a temporary folder
        var folder = Directory.CreateTempSubdirectory("resnetsharp-export-").FullName;
        try
        {
            var file = Path.Combine(folder, "resnet20.onnx");

            // When the export command runs with BN folding
            var result = CliRunner.Run("export", "resnet20", "--out", file, "--fold-bn");

            // Then it succeeds and the file is a resnet20
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var net = OnnxImport.Load(file).Network;
            Assert.Equal([3, 3, 3], net.Spec.BlocksPerStage);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Should_Fail_With_One_Line_For_A_Missing_Weights_File()
    {
        var result = CliRunner.Run("export", "resnet20", "--out", "/tmp/never.onnx", "--weights", "/nonexistent/w.safetensors");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No weights file at '/nonexistent/w.safetensors'", result.Stderr);
    }
}
