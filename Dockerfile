# One image for the bot and both workers; compose picks the command.
# It installs the locked stack (requirements/lock.txt); GPU=1 swaps tensorflow-cpu for
# CUDA TensorFlow from requirements/gpu.txt (worker hosts with NVIDIA GPUs).
FROM python:3.11-slim

ARG GPU=0
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 TF_CPP_MIN_LOG_LEVEL=2 \
    SOUNDFONT=/usr/share/sounds/sf2/TimGM6mb.sf2

# FluidSynth renders MIDI to audio with a General MIDI soundfont.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fluidsynth timgm6mb-soundfont \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
RUN pip install --require-hashes -r requirements/lock.txt \
 && if [ "$GPU" = "1" ]; then pip uninstall -y tensorflow-cpu \
      && pip install --require-hashes -r requirements/gpu.txt; fi
COPY bot ./bot
COPY workers ./workers
COPY models ./models
RUN pip install --no-deps --no-build-isolation .

RUN useradd --create-home --uid 10001 wikimuse
USER wikimuse
ENV MODEL_DIR=/app/models/checkpoints

CMD ["python", "-m", "bot"]
