"""Deep allocators: differentiable allocation layers (and, alongside, networks and losses).

Layers take scores or budgets ``(batch, assets)`` (plus a covariance
``(batch, assets, assets)`` where they need one) and return weights
``(batch, assets)``; they are small ``nn.Module``s that compose by stacking.
"""

from riskalloc.strategies.deep._deep_base import DeepAllocator
from riskalloc.strategies.deep._end_to_end import (
    DeepCVaR,
    DeepLogWealth,
    DeepSharpe,
    DeepSortino,
    EndToEndAllocator,
)
from riskalloc.strategies.deep._ensemble import ENSEMBLE_BASES, DeepEnsemble
from riskalloc.strategies.deep._forecast_mvo import (
    AllocationRule,
    ForecastMVO,
    mean_variance_weights,
    proportional_weights,
)
from riskalloc.strategies.deep._layers_mean_variance import MeanVarianceLayer
from riskalloc.strategies.deep._layers_risk import RiskBudgetingLayer, VolatilityTarget
from riskalloc.strategies.deep._layers_simplex import (
    CappedSimplex,
    SoftmaxAllocation,
    project_capped_simplex,
)
from riskalloc.strategies.deep._limit_layers import (
    LimitLayers,
    TailRiskScaling,
    TurnoverBlend,
    tail_loss,
)
from riskalloc.strategies.deep._losses import (
    Loss,
    LossInputs,
    mean_cvar,
    mean_variance,
    mse,
    negative_log_wealth,
    negative_sharpe,
    negative_sortino,
    portfolio_net_returns,
    turnover_penalty,
)
from riskalloc.strategies.deep._nets import (
    LSTMNet,
    MLPNet,
    Network,
    TCNNet,
    TransformerNet,
    build_network,
)
from riskalloc.strategies.deep._nets_attention import Attention
from riskalloc.strategies.deep._parameters import Precision
from riskalloc.strategies.deep._persistence import read_manifest
from riskalloc.strategies.deep._stream import DecisionStream
from riskalloc.strategies.deep._vol_risk_budget import TrainingObjective, VolRiskBudget
from riskalloc.strategies.deep._vol_risk_budget_model import RegimeGate, VolatilityRiskBudgetHead

__all__ = [
    "ENSEMBLE_BASES",
    "AllocationRule",
    "Attention",
    "CappedSimplex",
    "DecisionStream",
    "DeepAllocator",
    "DeepCVaR",
    "DeepEnsemble",
    "DeepLogWealth",
    "DeepSharpe",
    "DeepSortino",
    "EndToEndAllocator",
    "ForecastMVO",
    "LSTMNet",
    "LimitLayers",
    "Loss",
    "LossInputs",
    "MLPNet",
    "MeanVarianceLayer",
    "Network",
    "Precision",
    "RegimeGate",
    "RiskBudgetingLayer",
    "SoftmaxAllocation",
    "TCNNet",
    "TailRiskScaling",
    "TrainingObjective",
    "TransformerNet",
    "TurnoverBlend",
    "VolRiskBudget",
    "VolatilityRiskBudgetHead",
    "VolatilityTarget",
    "build_network",
    "mean_cvar",
    "mean_variance",
    "mean_variance_weights",
    "mse",
    "negative_log_wealth",
    "negative_sharpe",
    "negative_sortino",
    "portfolio_net_returns",
    "project_capped_simplex",
    "proportional_weights",
    "read_manifest",
    "tail_loss",
    "turnover_penalty",
]
