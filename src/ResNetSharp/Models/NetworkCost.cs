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

        var channels = spec.StemWidth;
        for (var s = 0; s < spec.BlocksPerStage.Count; s++)
        {
            for (var b = 0; b < spec.BlocksPerStage[s]; b++)
            {
                var stride = b == 0 && s > 0 ? 2 : 1;
                var width = spec.Widths[s];
                var output = width * spec.Expansion;
                var inputSide = side;
                if (spec.Block == BlockKind.Basic)
                {
                    Norm(spec.PreActivation ? channels : width);
                    Conv(channels, width, 3, stride);
                    Norm(width);
                    Conv(width, width, 3, 1);
                }
                else
                {
                    var onReduce = spec.Stride == BottleneckStride.OnReduce;
                    Norm(spec.PreActivation ? channels : width);
                    Conv(channels, width, 1, onReduce ? stride : 1);
                    Norm(width);
                    Conv(width, width, 3, onReduce ? 1 : stride);
                    Norm(spec.PreActivation ? width : output);
                    Conv(width, output, 1, 1);
                }
                var shapeChanges = stride != 1 || channels != output;
                var projects = spec.Residual && (spec.Shortcut == ShortcutOption.C || (spec.Shortcut == ShortcutOption.B && shapeChanges));
                if (projects)
                {
                    var outSide = side;
                    side = inputSide;
                    Conv(channels, output, 1, stride);
                    side = outSide;
                    if (!spec.PreActivation) Norm(output);
                }
                channels = output;
            }
        }
        if (spec.PreActivation) Norm(channels);
        parameters += (long)channels * spec.Classes + spec.Classes;
        macs += (long)channels * spec.Classes;
        return (parameters, macs);
    }
}
