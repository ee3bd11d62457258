using SkiaSharp;

namespace ResNetSharp.Reporting;

/// <summary>
/// The font plot text is drawn with. SkiaSharp's Linux build without dependencies has no fontconfig, so a family
/// name may resolve to nothing and text would silently vanish; this picks a family that has glyphs, or registers a
/// font file found on disk (no root needed: a .ttf in ~/.local/share/fonts or <see cref="FontFile"/> will do).
/// </summary>
public static class PlotFonts
{
    static readonly string[] Families = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Noto Sans", "FreeSans", "Open Sans"];
    static readonly object Gate = new();
    static string? chosen;

    /// <summary>A .ttf/.otf file to draw plot text with, instead of looking for an installed sans-serif family.</summary>
    public static string? FontFile { get; set; }

    /// <summary>Resolves the family plot text is drawn with, once, and returns it.</summary>
    /// <exception cref="InvalidOperationException">No usable font was found; the message says where to put one.</exception>
    internal static string Ensure()
    {
        lock (Gate)
        {
            if (chosen is not null) return chosen;
            if (FontFile is { } file)
            {
                if (!File.Exists(file)) throw new FileNotFoundException($"PlotFonts.FontFile '{file}' does not exist; give a .ttf or .otf file.", file);
                return chosen = Register(file);
            }
            foreach (var family in Families)
            {
                using var typeface = SKFontManager.Default.MatchFamily(family);
                if (typeface is not null && typeface.FamilyName == family && HasLatinGlyphs(typeface)) return chosen = Use(family);
            }
            var found = FontDirectories().Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "*.ttf", SearchOption.AllDirectories))
                .OrderBy(f => Rank(Path.GetFileName(f)))
                .FirstOrDefault(f => Rank(Path.GetFileName(f)) < int.MaxValue);
            if (found is not null) return chosen = Register(found);
            throw new InvalidOperationException(
                "No font for plot text: none of " + string.Join(", ", Families) + " is installed and no .ttf was found in " +
                string.Join(", ", FontDirectories()) + ". Copy a sans-serif .ttf (e.g. DejaVuSans.ttf) into ~/.local/share/fonts " +
                "or set PlotFonts.FontFile.");
        }
    }

    static string Register(string file)
    {
        const string name = "ResNetSharp Plot Sans";
        ScottPlot.Fonts.AddFontFile(name, file);
        return Use(name);
    }

    static string Use(string family)
    {
        ScottPlot.Fonts.Default = family;
        ScottPlot.Fonts.Sans = family;
        return family;
    }

    static bool HasLatinGlyphs(SKTypeface typeface)
    {
        using var font = new SKFont(typeface);
        return font.GetGlyphs("error 0%").All(g => g != 0);
    }

    static int Rank(string fileName) =>
        Array.FindIndex(["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "NotoSans-Regular.ttf", "FreeSans.ttf"],
            n => n == fileName) is var i and >= 0 ? i : int.MaxValue;

    static IEnumerable<string> FontDirectories()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        yield return Path.Combine(home, ".local", "share", "fonts");
        yield return Path.Combine(home, ".fonts");
        yield return "/usr/share/fonts";
        yield return "/usr/local/share/fonts";
        yield return "/Library/Fonts";
        yield return Environment.GetFolderPath(Environment.SpecialFolder.Fonts);
    }
}
