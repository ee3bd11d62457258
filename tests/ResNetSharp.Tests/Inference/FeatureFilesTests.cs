using System.Text;
using ResNetSharp.Inference;

namespace ResNetSharp.Tests.Inference;

public sealed class FeatureFilesTests
{
    [Fact]
    public void Should_Write_A_Numpy_File_That_Reads_Back()
    {
        // Given three 4-d feature vectors
        float[][] rows = [[1, 2, 3, 4], [0.5f, -1, 0, 2], [9, 8, 7, 6]];
        var file = Path.Combine(Directory.CreateTempSubdirectory("resnetsharp-npy-").FullName, "f.npy");

        // When written as .npy
        FeatureFiles.WriteNpy(file, rows);

        // Then the header is NumPy's (magic, version 1.0, shape (3, 4), 64-byte aligned) and the values read back
        var bytes = File.ReadAllBytes(file);
        Assert.Equal("\x93NUMPY", Encoding.Latin1.GetString(bytes, 0, 6));
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'shape': (3, 4)", Encoding.ASCII.GetString(bytes, 10, headerLength));
        Assert.Equal(10 + headerLength + 3 * 4 * 4, bytes.Length);
        Assert.Equal(rows, FeatureFiles.ReadNpy(file));
    }

    [Fact]
    public void Should_Find_Nearest_Neighbours_By_Cosine()
    {
        // Given a vector, a scaled copy of it, and an orthogonal one
        float[][] rows = [[1, 0, 1], [0, 1, 0], [2, 0, 2.2f]];

        // When the nearest neighbour of each is found
        var nearest = FeatureFiles.Nearest(rows, 1);

        // Then 0 and 2 are each other's, and the orthogonal one has cosine 0 to everything
        Assert.Equal(2, nearest[0][0].Index);
        Assert.Equal(0, nearest[2][0].Index);
        Assert.Equal(0, nearest[1][0].Cosine, 6);
    }
}
