// plots.h — figures of a run, drawn by gnuplot (Debian's gnuplot-nox, driven through a pipe) as PNG:
// training curves from log.csv, a confusion-matrix heat map, a bar chart (per-class accuracy, ...).
// Image grids (samples, generated images) are written with stb_image_write. When gnuplot is missing a
// figure is skipped with one warning; a run never fails for want of a plot.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"

namespace eg::train {

bool gnuplot_available();
// One panel per column (e.g. {"train_loss"}, {"train_acc", "test_acc"}), x = the "epoch" column.
bool plot_curves(const std::string& csv_path, const std::vector<std::vector<std::string>>& panels,
                 const std::string& png_path, const std::string& title);
// K x K counts (rows = true class), normalized per row in the picture.
bool plot_confusion(const std::vector<int64_t>& cm, int64_t k, const std::vector<std::string>& class_names,
                    const std::string& png_path, const std::string& title);
// One bar per label; several series side by side (series_names.size() == values.size()).
bool plot_bars(const std::vector<std::vector<double>>& values, const std::vector<std::string>& series_names,
               const std::vector<std::string>& labels, const std::string& png_path, const std::string& title,
               const std::string& ylabel, bool key_outside = false);  // key_outside: legend right of the plot
// Points (xs[j][i], ys[j][i]) of several series, one colour each (e.g. 2-d embeddings per class).
bool plot_scatter(const std::vector<std::vector<double>>& xs, const std::vector<std::vector<double>>& ys,
                  const std::vector<std::string>& series_names, const std::string& png_path, const std::string& title);
// x: [N, C, H, W] f32 in [0, 1] (values clamped), C = 1 or 3; nrow images per row; written as PNG.
void save_image_grid(const Tensor& x, const std::string& png_path, int64_t nrow = 8);

}  // namespace eg::train
