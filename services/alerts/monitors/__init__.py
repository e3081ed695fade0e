"""What monitors (and the officers above them) use: the alerts of their jurisdiction, the steps
of an alert's lifecycle, the live stream and its feed."""
