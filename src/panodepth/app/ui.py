"""The web app's page (Gradio): upload or pick a panorama, choose a model, see depth and 3-D.

This module owns the layout and the wiring only; the work is :class:`.service.DepthService`'s.
Element ids (``panorama``, ``model``, ``custom``, ``height``, ``ensemble``, ``run``, ``depth``,
``colorbar``, ``info``, ``mesh``, ``downloads``) are stable: the browser test drives them.
The page loads nothing from the internet (system fonts, no analytics), so it works offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from .service import AppError, DepthService

INTRO = """# panodepth: depth from a 360° panorama
Upload an equirectangular panorama (2:1) or pick a sample, choose a model and press
**Estimate depth**. The preview colours inverse depth (near = warm); the colour bar is
labelled in depth. Students with a depth head give metres; teacher mode and disparity students
give *relative* depth. Downloads: 16-bit PNG + JSON sidecar (scale, units), EXR, PLY point
cloud, and the mesh as GLB (glTF axes) and PLY."""

CUSTOM_HELP = (
    "student file (.safetensors/.ckpt), released checkpoint (.pth or name), hub id "
    "(user/model) or folder; 'teacher:NAME' for teacher mode"
)


def build_page(service: DepthService, samples: list[Path], height: int = 512) -> gr.Blocks:
    """The page for ``service``; ``samples`` are offered as examples."""

    def estimate(
        image: str | None,
        label: str,
        custom: str,
        work_height: float,
        ensemble: float,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio's injection idiom)
    ) -> tuple[Any, ...]:
        try:
            spec = service.spec(label, custom)
            result = service.run(
                image, spec, int(work_height), int(ensemble),
                progress=lambda f, what: progress(f, desc=what),
            )  # fmt: skip
        except AppError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return (
            str(result.preview),
            str(result.colorbar),
            result.summary,
            str(result.mesh),
            [str(p) for p in result.files],
        )

    with gr.Blocks(title="panodepth", analytics_enabled=False) as page:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                image = gr.File(
                    label="Panorama (equirectangular image, width = 2 × height)",
                    file_types=["image"], elem_id="panorama",
                )  # fmt: skip
                if samples:
                    gr.Examples(
                        [[str(p)] for p in samples], inputs=[image], label="Synthetic samples"
                    )
                model = gr.Dropdown(
                    [s.label for s in service.models], value=service.models[0].label,
                    label="Model", elem_id="model",
                )  # fmt: skip
                custom = gr.Textbox(
                    label="… or another model", placeholder=CUSTOM_HELP, elem_id="custom"
                )
                with gr.Row():
                    work_height = gr.Slider(
                        64, 1024, value=height, step=32, label="Working height (px)",
                        elem_id="height",
                    )  # fmt: skip
                    ensemble = gr.Slider(
                        1, 8, value=1, step=1, label="Rotation ensemble (copies)",
                        elem_id="ensemble",
                    )  # fmt: skip
                run = gr.Button("Estimate depth", variant="primary", elem_id="run")
            with gr.Column(scale=3):
                depth = gr.Image(
                    label="Depth (inverse depth, near = warm)", type="filepath",
                    interactive=False, elem_id="depth", format="png",
                )  # fmt: skip
                colorbar = gr.Image(
                    label="Colour scale", type="filepath", interactive=False,
                    elem_id="colorbar", format="png", height=110,
                )  # fmt: skip
                info = gr.Markdown(elem_id="info")
                mesh = gr.Model3D(
                    label="3-D mesh (drag to turn; triangles across depth jumps removed)",
                    elem_id="mesh", clear_color=(0.1, 0.1, 0.1, 1.0),
                    camera_position=(90, 90, 0.05),  # inside the room, facing the centre
                )  # fmt: skip
                downloads = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
        run.click(
            estimate,
            inputs=[image, model, custom, work_height, ensemble],
            outputs=[depth, colorbar, info, mesh, downloads],
            concurrency_limit=1,  # one model, one CPU job at a time
        )
    return page


def launch(
    page: gr.Blocks, workdir: Path, host: str = "127.0.0.1", port: int | None = None,
    share: bool = False,
) -> None:  # fmt: skip
    """Serve ``page`` until interrupted (offline theme, no Gradio banners)."""
    theme = gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )
    page.queue().launch(
        server_name=host, server_port=port, share=share, quiet=True, theme=theme,
        allowed_paths=[str(workdir)], footer_links=[], show_error=True, ssr_mode=False,
    )  # fmt: skip
