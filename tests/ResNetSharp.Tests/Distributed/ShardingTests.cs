using ResNetSharp.Cli;
using ResNetSharp.Data;
using ResNetSharp.Distributed;
using ResNetSharp.Tests.Cli;
using ResNetSharp.Tests.Data;
using ResNetSharp.Tests.Training;
using static TorchSharp.torch;

namespace ResNetSharp.Tests.Distributed;

/// <summary>Issue 18 without MPI: the shards of the data loader, reading mpirun's variables, and what a user sees without Open MPI.</summary>
public sealed class ShardingTests
{
    static InMemoryDataset Images(int count) =>
        new([.. Enumerable.Range(0, count).Select(i => TestImages.Coordinates(10, 10, (byte)(i * 37)))], [.. Enumerable.Range(0, count).Select(i => i % 3)], ["a", "b", "c"]);

    static DataLoader Loader(IImageDataset data, int ranks, int rank) => new(data, new CifarAugmentation { CropSize = 8 }, new DataLoaderOptions
    {
        BatchSize = 12,
        Shuffle = true,
        DropLast = true,
        Seed = 5,
        Workers = rank % 2, // inline and threaded shards must agree too
        Ranks = ranks,
        Rank = rank,
    });

    [Fact]
    public void Should_Cut_Every_Global_Batch_Into_Rank_Slices_That_Together_Are_The_Single_Process_Batch()
    {
        // Given 100 images, global batches of 12, one loader per rank of 3 and a single-process loader
        var data = Images(100);
        var whole = Loader(data, 1, 0);
        var shards = Enumerable.Range(0, 3).Select(r => Loader(data, 3, r)).ToArray();

        foreach (var epoch in new[] { 0, 1 })
        {
            // When each epoch is read by all four
            var seen = new List<int>();
            var expected = whole.Epoch(epoch).ToList();
            var perRank = shards.Select(s => s.Epoch(epoch).ToList()).ToArray();

            // Then every rank has the same number of batches, 4 samples each, and batch b of the ranks, in rank order,
            // is batch b of one process: the same images, the same augmentation
            Assert.All(perRank, batches => Assert.Equal(whole.BatchesPerEpoch, batches.Count));
            for (var b = 0; b < expected.Count; b++)
            {
                Assert.All(perRank, batches => Assert.Equal(4, batches[b].Count));
                var indices = perRank.SelectMany(batches => batches[b].Indices).ToArray();
                Assert.Equal(expected[b].Indices, indices);
                using var images = cat([.. perRank.Select(batches => batches[b].Images)]);
                Assert.True(images.eq(expected[b].Images).all().item<bool>(), $"epoch {epoch} batch {b}: the ranks' images differ from one process's");
                seen.AddRange(indices);
            }
            // and no image is read twice in an epoch across the ranks (8 batches of 12 out of 100: 96 distinct)
            Assert.Equal(whole.BatchesPerEpoch * 12, seen.Distinct().Count());
            Assert.Equal(seen.Count, seen.Distinct().Count());
            foreach (var batch in expected.Concat(perRank.SelectMany(b => b))) batch.Dispose();
        }
    }

    [Fact]
    public void Should_Refuse_A_Batch_That_Does_Not_Split_Evenly_Over_The_Ranks()
    {
        var error = Assert.Throws<ArgumentException>(() => new DataLoader(Images(20), new OriginalImage(10, 10), new DataLoaderOptions { BatchSize = 10, Ranks = 4, Rank = 1 }));
        Assert.Contains("does not split into 4 equal shards", error.Message);
    }

    [Fact]
    public void Should_Read_The_Rank_From_The_Variables_Mpirun_Sets()
    {
        var vars = new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "4",
            ["OMPI_COMM_WORLD_RANK"] = "3",
            ["OMPI_COMM_WORLD_LOCAL_RANK"] = "1",
            ["OMPI_COMM_WORLD_LOCAL_SIZE"] = "2",
        };

        var launch = MpiLaunch.FromEnvironment(vars.GetValueOrDefault);

        Assert.Equal(new MpiLaunch(3, 4, 1, 2), launch);
        Assert.Equal(4, launch!.ThreadsPerRank(8)); // two ranks on this machine share its 8 cores
        Assert.Equal(1, launch.ThreadsPerRank(1));
        Assert.Null(MpiLaunch.FromEnvironment(_ => null)); // not started by mpirun
    }

    [Fact]
    public void Should_Name_The_Debian_Packages_When_Mpirun_Started_It_And_Open_Mpi_Is_Missing()
    {
        // Given a process that mpirun's variables say is rank 0 of 2, on a machine whose libmpi cannot be loaded
        using var data = new TinyData(perClass: 8, testPerClass: 2);
        var run = Path.Combine(Path.GetTempPath(), "resnetsharp-tests", "mpi-missing-" + Guid.NewGuid().ToString("n"));
        var environment = new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "2",
            ["OMPI_COMM_WORLD_RANK"] = "0",
            ["RESNETSHARP_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40",
        };

        // When it is asked to train
        var result = CliRunner.RunWith(environment, "train", "--data", data.Root, "--model", "resnet8", "--batch-size", "8", "--iterations", "2", "--workers", "0", "--out", run);

        // Then one line says what to install, nothing is trained, no run folder is left
        Assert.True(result.ExitCode == ExitCodes.UserError, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: rank 0: ", line);
        Assert.Contains("apt-get install openmpi-bin libopenmpi-dev", line);
        Assert.False(Directory.Exists(run));
    }
}
