using ResNetSharp.Models;

namespace ResNetSharp.Pretrained;

/// <summary>
/// <c>ModelZoo.Pretrained</c>: released weights are found from the zoo's own class, but live on the Pretrained floor
/// (a C# 14 static extension), so that Models, the lowest floor, knows nothing of releases.
/// </summary>
public static class PretrainedZoo
{
    extension(ModelZoo)
    {
        /// <summary>
        /// The network <paramref name="network"/> trained on <paramref name="dataset"/> as shipped with ResNetSharp
        /// (or found in <c>$RESNETSHARP_PRETRAINED</c>), its weights verified against the SHA-256 of its model card:
        /// <c>ModelZoo.Pretrained("resnet20", "cifar10")</c> (with <c>using ResNetSharp.Pretrained;</c>).
        /// <see cref="PretrainedModel.CreateClassifier"/> classifies image files, <see cref="PretrainedModel.CreateNetwork"/>
        /// gives the network, <see cref="PretrainedModel.Normalization"/> the preprocessing. Unknown pairs fail with the known ones.
        /// </summary>
        public static PretrainedModel Pretrained(string network, string dataset)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(network);
            ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
            return PretrainedCatalog.Get($"{network.Trim()}-{dataset.Trim()}".ToLowerInvariant());
        }
    }
}
