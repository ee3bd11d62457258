namespace ResNetSharp.Tests.Training;

/// <summary>
/// Tests that compare two runs from the same seed: libtorch's default generator is process-wide, so no
/// other test may draw from it while these initialise their networks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededCollection
{
    public const string Name = "seeded runs";
}
