#!/bin/bash
# Empties the folders the stages share, at the end of a day (step 7); the cumulative files stay. Archives under
# today's date, not the data's.
D=`date +%y%m%d`
cp interval.txt InjSigIntervalCal/$D
cd Interval_plot
mv *.png tmp/
cd ../../hist
mv hist*.root tmp/
rm *.png
cd ../plot
mv run* tmp
mv *.png tmp
cd ../Determining_50Hz_cut/search_peak
mv run* tmp/
mv shield_run* raw_shield
cp window.dat time_final/$D
cd ../checkShieldCalib
mv run* tmp/
mv *pdf tmp/
cd ../../Determining_ETS_cut/ETS_cut
mv plot_ETS_* tmp
mv run* tmp
mv shield* tmp
cp ets_cut.txt ../ETScutCalibConst/$D
cd ../check_ETScut_CalibConst
mv ETScut_check_* tmp
mv run*.png tmp
mv run*.root tmp
echo done
