"""The SimPy model of the fulfilment flow, scenario schema, KPIs, reports and CLI."""
