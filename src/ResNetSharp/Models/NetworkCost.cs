namespace ResNetSharp.Models;

/// <summary>
/// Parameters and multiply-adds of a network computed from its description alone, the way the paper's
/// Table 1 FLOPs row is computed (convolutions and fc; stride where the spec puts it). Instant, so
/// listings use it; <see cref="ModelSummary"/> measures the built network and tests hold the two equal.
/// </summary>
public static class NetworkCost
{
    /// <summary>(parameters, multiply-adds) of one forward pass of one image at <paramref name="inputSize"/> (default: canonical).</summary>
    public static (long Parameters, long MultiplyAdds) Of(NetworkSpec spec, int? inputSize = null)
    {
        spec.Validate();
        long parameters = 0, macs = 0;
        var side = inputSize ?? spec.InputSize;
        void Conv(int cin, int cout, int kernel, int stride)
        {
            side = (side + 2 * (kernel / 2) - kernel) / stride + 1;
            parameters += (long)cin * cout * kernel * kernel;
            macs += (long)side * side * cout * cin * kernel * kernel;
        }
        void Norm(int channels) => parameters += 2L * channels;

        if (spec.Stem == StemKind.ImageNet)
        {
            Conv(3, spec.StemWidth, 7, 2);
            Norm(spec.StemWidth);
            side = (side + 2 - 3) / 2 + 1; // 3x3/2 max pool, padding 1
        }
        else
        {
            Conv(3, spec.StemWidth, 3, 1);
            if (!spec.PreActivation) Norm(spec.StemWidth);
        }

        foreach (var unit in spec.Units())
        {
            var (channels, width, output) = (unit.InChannels, unit.Width, unit.OutChannels);
            var inputSide = side;
            Norm(spec.PreActivation ? channels : width);
            if (spec.Block == BlockKind.Basic)
            {
                Conv(channels, width, 3, unit.FirstConvStride);
                Norm(width);
                Conv(width, width, 3, unit.SecondConvStride);
            }
            else
            {
                Conv(channels, width, 1, unit.FirstConvStride);
                Norm(width);
                Conv(width, width, 3, unit.SecondConvStride);
                Norm(spec.PreActivation ? width : output);
                Conv(width, output, 1, 1);
            }
            if (unit.Shortcut == ShortcutKind.Projection)
            {
                var outSide = side;
                side = inputSide;
                Conv(channels, output, 1, unit.Stride);
                side = outSide;
                if (!spec.PreActivation) Norm(output);
            }
            if (spec.ShortcutVariant is { Gated: true })
            {
                // the gate of Identity Mappings Fig. 2(c, d): a 1x1 convolution of the unit's input, with bias
                var outSide = side;
                side = inputSide;
                Conv(channels, output, 1, unit.Stride);
                side = outSide;
                parameters += output;
            }
        }
        var features = spec.FeatureSize;
        if (spec.PreActivation) Norm(features);
        parameters += (long)features * spec.Classes + spec.Classes;
        macs += (long)features * spec.Classes;
        return (parameters, macs);
    }
}
