"""``python -m apps.sequence_classification``: sMNIST, psMNIST, sCIFAR-10, ListOps, PTB-XL and the
copy / adding memory tasks with MultiresNet, an ARMA1d net, an LSTM and recurrent cells."""

__all__: list[str] = []
